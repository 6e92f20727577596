"""The pipeline shared by every branch: the wine-quality example (the OSS MLOps platform's demo, on kfp v2).

pull_data -> preprocess -> train -> evaluate -> (if the thresholds pass) deploy.
The model is one scikit-learn Pipeline (scaling + ElasticNet) that predicts from raw rows; evaluate
records the run in MLflow and registers the model only when it passes; deploy serves that version with
KServe and marks it @deployed once the InferenceService is Ready. Each branch's config.yaml sets the
parameters, platform.yaml the endpoints; main.py adds branch, commit and trigger, which name and tag the
MLflow run and the version.
Credentials reach the steps from a Kubernetes secret in the run's namespace (kfp-kubernetes), never from
this file.
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
# The secret's keys become the step's environment variables of the same names; each key is optional, so a
# namespace whose secret lacks the MLflow login (a server without one) still runs.
CREDENTIAL_KEYS = {
    name: name
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    )
}
# MLflow's client retries an unreachable server for minutes by default (7 retries, backoff factor 2, 120 s
# timeout); the steps that talk to MLflow give up after 2 quick retries and 30 s, so a dead server fails
# the run in seconds, with its reason.
MLFLOW_LIMITS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


@dsl.pipeline(name="wine-quality", description="An ML project wired for Kubeflow Pipelines")
def pipeline(
    data_uri: str = WINE_QUALITY_CSV,
    s3_endpoint: str = "",
    mlflow_uri: str = "",
    mlflow_experiment: str = "",
    model_name: str = "wine-quality-development",
    credentials_secret: str = "aws-secret",
    alpha: float = 0.1,
    l1_ratio: float = 0.5,
    test_size: float = 0.25,
    seed: int = 42,
    max_rmse: float = 0.9,
    min_r2: float = 0.3,
    max_mae: float = 0.8,
    ready_timeout: float = 600,
    branch: str = "",
    commit: str = "",
    trigger: str = "",
) -> Metrics:
    run = {
        "branch": branch,
        "commit": commit,
        "trigger": trigger,
        "kfp_run_id": dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    }
    data = pull_data(data_uri=data_uri, s3_endpoint=s3_endpoint)
    # What the model is tagged with and the drift check compares storage with: the data and its version.
    source = {"data_uri": data_uri, "data_version": data.outputs["Output"]}
    split = preprocess(dataset=data.outputs["dataset"], test_size=test_size, seed=seed)
    trained = train(train_set=split.outputs["train_set"], alpha=alpha, l1_ratio=l1_ratio, seed=seed)
    scores = evaluate(
        model=trained.outputs["model"],
        test_set=split.outputs["test_set"],
        reference=trained.outputs["reference"],
        max_rmse=max_rmse,
        min_r2=min_r2,
        max_mae=max_mae,
        mlflow_uri=mlflow_uri,
        mlflow_experiment=mlflow_experiment,
        model_name=model_name,
        **run,
        **source,
    )
    tasks = [data, scores]
    # Only a model that passed the thresholds is registered, served and marked @deployed.
    # (The condition reads the step's return value, "Output": kfp.local resolves no other output name there.)
    with dsl.If(scores.outputs["Output"] == True):  # noqa: E712 (a pipeline condition, not Python)
        served = deploy(
            model_name=model_name,
            version=scores.outputs["version"],
            storage_uri=scores.outputs["storage_uri"],
            mlflow_uri=mlflow_uri,
            ready_timeout=ready_timeout,
        )
        tasks.append(served)
    for task in tasks:
        # optional: a namespace without the secret still runs steps that need no credentials.
        kubernetes.use_secret_as_env(
            task, secret_name=credentials_secret, secret_key_to_env=CREDENTIAL_KEYS, optional=True
        )
    for task in tasks[1:]:  # the steps that talk to MLflow
        for name, value in MLFLOW_LIMITS.items():
            task.set_env_variable(name, value)
    return scores.outputs["metrics"]
