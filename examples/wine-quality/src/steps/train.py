"""train: fit the model (feature scaling + ElasticNet as one scikit-learn Pipeline); describe its data."""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2"])
def train(
    train_set: Input[Dataset],
    model: Output[Model],
    reference: Output[Artifact],
    alpha: float = 0.1,
    l1_ratio: float = 0.5,
    target: str = "quality",
    seed: int = 42,
    reference_rows: int = 5000,
):
    """Fit ``StandardScaler`` + ``ElasticNet(alpha, l1_ratio)`` as one Pipeline on the raw training rows.

    The Pipeline is the model: it takes rows as measured (the raw column names) and predicts quality, so
    what evaluate scores is what gets logged, registered and served. It is saved as the ``model``
    artifact, its parameters in the artifact's metadata (shown in the KFP UI; evaluate logs them to MLflow).

    ``reference`` describes the training rows (JSON: per feature its mean, spread, range and a sample of at
    most ``reference_rows`` values; the target's range): evaluate stores it with the model, and the drift
    check (option monitor) compares new data with it.
    """
    import json
    import pickle

    import pandas as pd
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(train_set.path)
    features = frame.drop(columns=[target])
    fitted = Pipeline(
        [
            ("scale", StandardScaler()),
            ("regress", ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=seed)),
        ]
    ).fit(features, frame[target])
    with open(model.path, "wb") as handle:
        pickle.dump(fitted, handle)
    model.metadata.update({"alpha": alpha, "l1_ratio": l1_ratio, "seed": seed, "rows": len(frame)})
    sample = features.sample(min(len(features), reference_rows), random_state=seed)
    described = {}
    for column in features.columns:
        values = pd.to_numeric(features[column], errors="coerce")
        if values.notna().any():  # the drift check compares numeric features
            described[str(column)] = {
                "mean": float(values.mean()),
                "std": float(values.std()),
                "min": float(values.min()),
                "max": float(values.max()),
                "missing": float(values.isna().mean()),
                "sample": [float(v) for v in pd.to_numeric(sample[column], errors="coerce").dropna()],
            }
    labels = frame[target]
    statistics = {
        "format": 1,
        "rows": len(frame),
        "target": {"name": target, "min": float(labels.min()), "max": float(labels.max())},
        "features": described,
    }
    with open(reference.path, "w", encoding="utf-8") as handle:
        json.dump(statistics, handle)
    print(f"train: StandardScaler + ElasticNet(alpha={alpha}, l1_ratio={l1_ratio}), {len(frame)} rows")
