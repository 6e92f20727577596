"""The deployed model answers raw rows with the registered @deployed version's predictions, in both of
KServe's protocols: the service serves the model the registry says it serves, and predicts sensible values."""

import math

import pytest


@pytest.mark.parametrize("protocol", ["v1", "v2"])
def test_the_service_predicts_raw_rows_as_the_registered_version_does(served, rows, registered, protocol):
    predicted = served.predict_v1(rows) if protocol == "v1" else served.infer_v2(rows)
    expected, (low, high) = registered
    assert len(predicted) == len(rows), f"{served.source}: one prediction per row"
    assert all(math.isfinite(p) for p in predicted), f"{served.source}: {predicted}"
    assert all(low <= p <= high for p in predicted), f"outside the target's training range [{low}, {high}]"
    assert predicted == pytest.approx(expected, abs=1e-6), (
        f"{served.source} serves another model than the registry's @deployed version"
    )
