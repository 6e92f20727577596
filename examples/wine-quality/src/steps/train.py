"""train: fit the model (feature scaling + ElasticNet, one scikit-learn Pipeline); with MLflow, log it."""

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(
    base_image="python:3.11-slim",
    packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2", "mlflow-skinny>=3.1,<4", "boto3>=1.28,<2"],
)
def train(
    train_set: Input[Dataset],
    model: Output[Model],
    alpha: float = 0.1,
    l1_ratio: float = 0.5,
    target: str = "quality",
    seed: int = 42,
    mlflow_uri: str = "",
    mlflow_experiment: str = "",
    branch: str = "",
    commit: str = "",
    trigger: str = "",
    kfp_run_id: str = "",
) -> NamedTuple("TrainOutputs", [("mlflow_run_id", str), ("logged_model_uri", str)]):
    """Fit ``StandardScaler`` + ``ElasticNet(alpha, l1_ratio)`` as one Pipeline on the raw training rows.

    The Pipeline is the model: it takes rows as measured (the raw column names) and predicts quality, so
    what evaluate scores is what gets registered and what KServe serves. It is saved as the ``model``
    artifact. With ``mlflow_uri``, an MLflow run (named after branch, commit and trigger, tagged with
    them and the KFP run id) records the parameters and the model, with its signature and an input
    example in the raw column names. Registering it is evaluate's job, only for a model that passes.
    """
    import pickle
    from collections import namedtuple

    import pandas as pd
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    outputs = namedtuple("TrainOutputs", ["mlflow_run_id", "logged_model_uri"])
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
    print(f"train: StandardScaler + ElasticNet(alpha={alpha}, l1_ratio={l1_ratio}), {len(frame)} rows")
    if not mlflow_uri:
        print("train: not tracked (no MLflow URI for this run): the model stays a pipeline artifact only")
        return outputs("", "")

    import logging

    import mlflow
    import mlflow.sklearn
    import sklearn

    # pickle: what KServe's scikit-learn server loads (model.pkl); MLflow's advice to use skops is muted.
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(mlflow_uri)
    mlflow.set_experiment(mlflow_experiment or "Default")
    tags = {"branch": branch, "commit": commit, "trigger": trigger, "kfp_run_id": kfp_run_id}
    run_name = f"{branch or 'run'}-{commit[:12] or 'uncommitted'} [{trigger or 'local'}]"
    with mlflow.start_run(run_name=run_name, tags={k: v for k, v in tags.items() if v}) as run:
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio, "seed": seed, "rows": len(frame)})
        example = features.head(5)
        logged = mlflow.sklearn.log_model(
            fitted,
            name="model",
            signature=mlflow.models.infer_signature(example, fitted.predict(example)),
            input_example=example,
            serialization_format="pickle",
            # Stated rather than inferred (inferring them loads the model in a subprocess: seconds).
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
    print(f"train: logged to MLflow run {run.info.run_id} ({run_name}); model {logged.model_uri}")
    return outputs(run.info.run_id, logged.model_uri)
