"""train: fit an ElasticNet; with an MLflow tracking URI, log the run and register the model."""

from typing import NamedTuple

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
    mlflow_uri: str = "",
    mlflow_experiment: str = "",
    model_name: str = "wine-quality",
    s3_endpoint: str = "",
) -> NamedTuple("TrainOutputs", [("storage_uri", str), ("mlflow_run_id", str)]):
    """Fit ``ElasticNet(alpha, l1_ratio)`` on the training set and save it as the ``model`` artifact.

    With ``mlflow_uri`` set, the parameters and the model are logged to MLflow and the model is
    registered as ``model_name``; ``storage_uri`` is where KServe finds it. Without one (local runs),
    MLflow is neither installed nor imported and both outputs are empty.
    """
    import pickle
    from collections import namedtuple

    import pandas as pd
    from sklearn.linear_model import ElasticNet

    outputs = namedtuple("TrainOutputs", ["storage_uri", "mlflow_run_id"])
    frame = pd.read_csv(train_set.path)
    fitted = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=seed)
    fitted.fit(frame.drop(columns=[target]), frame[target])
    with open(model.path, "wb") as handle:
        pickle.dump(fitted, handle)
    print(f"train: ElasticNet(alpha={alpha}, l1_ratio={l1_ratio}) fitted on {len(frame)} rows")
    if not mlflow_uri:
        print("train: no MLflow tracking URI configured; the model is kept as a pipeline artifact only")
        return outputs("", "")

    import importlib.util
    import os
    import subprocess
    import sys

    # Installed only when tracking is configured, so runs without MLflow never download it.
    if importlib.util.find_spec("mlflow") is None:
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "--quiet", "mlflow-skinny>=2.12,<4", "boto3"]
        )
    import mlflow
    import mlflow.sklearn

    if s3_endpoint:
        os.environ.setdefault("MLFLOW_S3_ENDPOINT_URL", s3_endpoint)
    mlflow.set_tracking_uri(mlflow_uri)
    mlflow.set_experiment(mlflow_experiment or model_name)
    with mlflow.start_run() as run:
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio, "seed": seed, "rows": len(frame)})
        logged = mlflow.sklearn.log_model(
            fitted, artifact_path=model_name, registered_model_name=model_name, serialization_format="pickle"
        )
    # Where the registry keeps this version's files (model.pkl, MLmodel): MLflow 3 stores a logged model
    # beside the run, not under the run's artifacts, so ask the registry rather than build the path.
    storage_uri = mlflow.MlflowClient().get_model_version_download_uri(
        model_name, str(logged.registered_model_version)
    )
    print(f"train: logged to MLflow run {run.info.run_id}; registered model {model_name!r} at {storage_uri}")
    return outputs(storage_uri, run.info.run_id)
