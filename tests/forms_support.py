"""What every form test needs from the settings schema: a value for each settable key that differs from its
default, grouped into rounds whose values are valid together (a field whose ``x-when`` needs another value
waits for a round where it holds). Each face's test sets one round after the other and reads mlops.toml back.

Everything here is read from the schema (GET schema / ``jupyter mlops schema --json``), so a setting added to
the table is covered by every face's test with no test edited. ``added_setting`` (a fixture: this module is a
pytest plugin) adds one row to the table for a test, as a developer would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

BRANCHES_KEY = "branches"


def target_value(field: dict) -> Any:
    """A valid value other than the default: the other boolean, another choice, or the table's example."""
    if field["type"] == "boolean":
        return not field["default"]
    if "enum" in field:
        return next(c for c in field["enum"] if c != field["default"])
    assert field.get("examples"), f"{field['title']}: the settings table gives no example value"
    return field["examples"][0]


def settable_rounds(schema: dict) -> list[dict[str, Any]]:
    """Rounds of ``{key: value}`` covering every key of the schema (``branches`` first in each round)."""
    fields = schema["properties"]
    targets = {key: target_value(field) for key, field in fields.items()}
    remaining = [k for k in fields if k != BRANCHES_KEY]
    rounds = []
    while remaining:
        values = {BRANCHES_KEY: targets[BRANCHES_KEY]} if BRANCHES_KEY in fields else {}
        waiting = []
        for key in remaining:
            needs = fields[key].get("x-when", {})
            if any(dep in remaining and dep not in waiting and targets[dep] != v for dep, v in needs.items()):
                waiting.append(key)  # its dependency is being set to another value in this round
        for key in remaining:
            if key not in waiting:
                values[key] = targets[key]
                values.update(fields[key].get("x-when", {}))
        assert len(waiting) < len(remaining), f"no round can set {waiting}"
        rounds.append(values)
        remaining = waiting
    return rounds


def toml_values(project: Path, keys) -> dict[str, Any]:
    """What the project's mlops.toml says for each key (flat keys, as in ``--set``)."""
    from jupyter_mlops.settings.spec import loads

    spec = loads((project / "mlops.toml").read_text())
    return {key: spec.get(key) for key in keys}


def as_text(value: Any) -> str:
    """A value as typed on a command line (``--set key=value``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@pytest.fixture
def added_setting():
    """A new row in the table (and nothing else): a per-branch drift threshold on the Platform page, shown only
    with the example pipeline. Removed after the test."""
    from jupyter_mlops.settings.table import TABLE, Setting

    row = Setting(
        "monitor.drift",
        "Drift threshold",
        "Alert when the input drift score exceeds it",
        check=lambda v: None if v.replace(".", "", 1).isdigit() else f"{v!r} is not a number, e.g. 0.3",
        group="platform",
        order=95,
        when={"example": True},
        example="0.3",
        default="0.5",
    )
    TABLE.append(row)
    yield row
    TABLE.remove(row)
