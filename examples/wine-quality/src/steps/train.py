"""train: fit the model, feature scaling + ElasticNet as one scikit-learn Pipeline."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2"])
def train(
    train_set: Input[Dataset],
    model: Output[Model],
    alpha: float = 0.1,
    l1_ratio: float = 0.5,
    target: str = "quality",
    seed: int = 42,
):
    """Fit ``StandardScaler`` + ``ElasticNet(alpha, l1_ratio)`` as one Pipeline on the raw training rows.

    The Pipeline is the model: it takes rows as measured (the raw column names) and predicts quality, so
    what evaluate scores is what gets logged, registered and served. It is saved as the ``model``
    artifact, its parameters in the artifact's metadata (shown in the KFP UI; evaluate logs them to MLflow).
    """
    import pickle

    import pandas as pd
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(train_set.path)
    fitted = Pipeline(
        [
            ("scale", StandardScaler()),
            ("regress", ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=seed)),
        ]
    ).fit(frame.drop(columns=[target]), frame[target])
    with open(model.path, "wb") as handle:
        pickle.dump(fitted, handle)
    model.metadata.update({"alpha": alpha, "l1_ratio": l1_ratio, "seed": seed, "rows": len(frame)})
    print(f"train: StandardScaler + ElasticNet(alpha={alpha}, l1_ratio={l1_ratio}), {len(frame)} rows")
