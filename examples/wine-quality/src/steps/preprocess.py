"""preprocess: split the rows into a training set and a held-out test set."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4"])
def preprocess(
    dataset: Input[Dataset],
    train_set: Output[Dataset],
    test_set: Output[Dataset],
    target: str = "quality",
    test_size: float = 0.25,
    seed: int = 42,
):
    """Split ``dataset`` (``test_size`` held out, reproducible with ``seed``); the rows stay as measured.

    Scaling is part of the model (train fits a scikit-learn Pipeline), so what is registered and served
    predicts from raw rows, exactly as a client sends them to KServe, and evaluate scores raw rows too.

    The split is scikit-learn's ``train_test_split(frame, test_size=test_size, random_state=seed)``, row for
    row (the same seeded permutation; the first ceil(test_size x rows) are held out), done with pandas alone:
    each step is its own process, and importing scikit-learn (and SciPy) here would cost this step seconds.
    """
    import math

    import pandas as pd

    if not 0 < test_size < 1:
        raise ValueError(f"test_size {test_size} is not a fraction between 0 and 1 (e.g. 0.25)")
    frame = pd.read_csv(dataset.path)
    if target not in frame.columns:
        raise ValueError(f"the data has no {target!r} column; its columns are {list(frame.columns)}")
    shuffled = frame.sample(frac=1, random_state=seed)
    held_out = math.ceil(test_size * len(frame))
    train, test = shuffled.iloc[held_out:], shuffled.iloc[:held_out]
    train.to_csv(train_set.path, index=False)
    test.to_csv(test_set.path, index=False)
    features = frame.shape[1] - 1
    print(f"preprocess: {len(train)} training rows, {len(test)} held-out rows, {features} features")
