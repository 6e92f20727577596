"""The pipeline shared by every branch: the wine-quality example (the OSS MLOps platform's demo, on kfp v2).

pull_data -> preprocess -> train -> evaluate -> (if the thresholds pass) deploy.
Each branch's config.yaml sets the parameters; platform.yaml the endpoints. Credentials reach the
steps from a Kubernetes secret in the run's namespace (kfp-kubernetes), never from this file.
"""

from kfp import dsl, kubernetes
from kfp.dsl import Metrics

from src.steps.deploy import deploy
from src.steps.evaluate import evaluate
from src.steps.preprocess import preprocess
from src.steps.pull_data import pull_data
from src.steps.train import train

WINE_QUALITY_CSV = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"
)
# The secret's keys become the step's environment variables of the same names.
CREDENTIAL_KEYS = {"AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY"}


@dsl.pipeline(name="wine-quality", description="An ML project wired for Kubeflow Pipelines")
def pipeline(
    data_uri: str = WINE_QUALITY_CSV,
    s3_endpoint: str = "",
    mlflow_uri: str = "",
    mlflow_experiment: str = "",
    model_name: str = "wine-quality",
    credentials_secret: str = "aws-secret",
    alpha: float = 0.1,
    l1_ratio: float = 0.5,
    test_size: float = 0.25,
    seed: int = 42,
    max_rmse: float = 0.9,
    min_r2: float = 0.3,
    max_mae: float = 0.8,
) -> Metrics:
    data = pull_data(data_uri=data_uri, s3_endpoint=s3_endpoint)
    split = preprocess(dataset=data.outputs["dataset"], test_size=test_size, seed=seed)
    trained = train(
        train_set=split.outputs["train_set"],
        alpha=alpha,
        l1_ratio=l1_ratio,
        seed=seed,
        mlflow_uri=mlflow_uri,
        mlflow_experiment=mlflow_experiment,
        model_name=model_name,
        s3_endpoint=s3_endpoint,
    )
    scores = evaluate(
        model=trained.outputs["model"],
        test_set=split.outputs["test_set"],
        max_rmse=max_rmse,
        min_r2=min_r2,
        max_mae=max_mae,
        mlflow_uri=mlflow_uri,
        mlflow_run_id=trained.outputs["mlflow_run_id"],
    )
    for task in (data, trained):
        # optional: a namespace without the secret still runs steps that need no credentials.
        kubernetes.use_secret_as_env(
            task, secret_name=credentials_secret, secret_key_to_env=CREDENTIAL_KEYS, optional=True
        )
    with dsl.If(scores.outputs["Output"] == True):  # noqa: E712 (a pipeline condition, not Python)
        deploy(model_name=model_name, storage_uri=trained.outputs["storage_uri"])
    return scores.outputs["metrics"]
