"""preprocess: split the rows into a training set and a held-out test set."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2"])
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
    """
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(dataset.path)
    if target not in frame.columns:
        raise ValueError(f"the data has no {target!r} column; its columns are {list(frame.columns)}")
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    train.to_csv(train_set.path, index=False)
    test.to_csv(test_set.path, index=False)
    features = frame.shape[1] - 1
    print(f"preprocess: {len(train)} training rows, {len(test)} held-out rows, {features} features")
