"""A small SYNTHETIC wine-quality sample with the real file's schema, for tests and offline runs.

The rows are generated (deterministically, from ``seed``), not measured: use them to check that the
pipeline runs, never to judge a model. The real data is the UCI file in config.yaml's ``data.uri``.

    python -m src.helpers.sample_data            # writes data/winequality-red.synthetic.csv
    DATA_URI=data/winequality-red.synthetic.csv python src/pipelines/development/main.py --local
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / "data" / "winequality-red.synthetic.csv"

# Column, mean and standard deviation as in winequality-red.csv (UCI), ';'-separated like the original.
FEATURES = (
    ("fixed acidity", 8.32, 1.74),
    ("volatile acidity", 0.528, 0.179),
    ("citric acid", 0.271, 0.195),
    ("residual sugar", 2.54, 1.41),
    ("chlorides", 0.0875, 0.047),
    ("free sulfur dioxide", 15.9, 10.5),
    ("total sulfur dioxide", 46.5, 32.9),
    ("density", 0.99675, 0.00189),
    ("pH", 3.31, 0.154),
    ("sulphates", 0.658, 0.17),
    ("alcohol", 10.42, 1.07),
)
TARGET = "quality"
# How the synthetic quality depends on the standardised features (alcohol up, volatile acidity down, …).
WEIGHTS = {"alcohol": 0.45, "volatile acidity": -0.28, "sulphates": 0.18, "total sulfur dioxide": -0.1}


def synthetic_rows(rows: int = 400, seed: int = 7) -> list[dict[str, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        z = {name: rng.gauss(0.0, 1.0) for name, _, _ in FEATURES}
        row = {name: round(max(mean + sd * z[name], mean * 0.05), 5) for name, mean, sd in FEATURES}
        score = 5.64 + sum(w * z[name] for name, w in WEIGHTS.items()) + rng.gauss(0.0, 0.4)
        row[TARGET] = int(min(8, max(3, round(score))))
        out.append(row)
    return out


def write_sample(path: Path | str = DEFAULT_PATH, rows: int = 400, seed: int = 7) -> Path:
    """Write the synthetic sample as a ';'-separated CSV (the real file's format) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [name for name, _, _ in FEATURES] + [TARGET]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=";")
        writer.writeheader()
        writer.writerows(synthetic_rows(rows, seed))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m src.helpers.sample_data", description=__doc__.splitlines()[0]
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH, help="where to write the CSV")
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    path = write_sample(args.path, args.rows, args.seed)
    print(f"wrote {args.rows} synthetic rows (not real measurements) to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
