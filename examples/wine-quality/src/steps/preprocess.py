"""preprocess: split into train and test sets and standardise the features."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2"])
def preprocess(
    dataset: Input[Dataset],
    train_set: Output[Dataset],
    test_set: Output[Dataset],
    scaler: Output[Model],
    target: str = "quality",
    test_size: float = 0.25,
    seed: int = 42,
):
    """Split ``dataset`` (``test_size`` held out, reproducible with ``seed``) and scale the features.

    The scaler is fitted on the training rows only and saved, so predictions on new data can use it.
    """
    import pickle

    import pandas as pd
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(dataset.path)
    if target not in frame.columns:
        raise ValueError(f"the data has no {target!r} column; its columns are {list(frame.columns)}")
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    features = [c for c in frame.columns if c != target]
    fitted = StandardScaler().fit(train[features])
    train, test = train.copy(), test.copy()
    train[features] = fitted.transform(train[features])
    test[features] = fitted.transform(test[features])
    train.to_csv(train_set.path, index=False)
    test.to_csv(test_set.path, index=False)
    with open(scaler.path, "wb") as handle:
        pickle.dump(fitted, handle)
    print(f"preprocess: {len(train)} training rows, {len(test)} test rows, {len(features)} features scaled")
