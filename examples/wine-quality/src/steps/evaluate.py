"""evaluate: score the model on the held-out rows; only a model that passes becomes a registered version."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output, OutputPath


@dsl.component(
    base_image="python:3.11-slim",
    packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2", "mlflow-skinny>=3.1,<4"],
)
def evaluate(
    model: Input[Model],
    test_set: Input[Dataset],
    metrics: Output[Metrics],
    version: OutputPath(str),
    storage_uri: OutputPath(str),
    target: str = "quality",
    max_rmse: float = 0.9,
    min_r2: float = 0.3,
    max_mae: float = 0.8,
    mlflow_uri: str = "",
    mlflow_run_id: str = "",
    logged_model_uri: str = "",
    model_name: str = "",
    branch: str = "",
    commit: str = "",
    trigger: str = "",
    kfp_run_id: str = "",
) -> bool:
    """RMSE, R² and MAE of the model on the held-out raw rows; passed when rmse <= max_rmse, r2 >= min_r2
    and mae <= max_mae.

    The metrics show in the KFP UI (``metrics``). When train logged to MLflow, they are logged to its run,
    which is tagged ``passed=true|false`` with the thresholds; a model that passed becomes a new version of
    the registered model ``model_name`` (tagged with branch, commit, trigger, KFP run id, thresholds and
    metrics), and ``storage_uri`` is where the registry keeps its files, for deploy. A model that failed
    is never registered: its run keeps it for comparison, and the registry only holds models fit to serve.
    Returns whether it passed (the pipeline's condition; ``version`` and ``storage_uri`` are "" unless a
    version was registered).
    """
    import pickle

    import pandas as pd
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    def registered(number: str, files: str) -> None:
        for path, value in ((version, number), (storage_uri, files)):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(value)

    registered("", "")
    with open(model.path, "rb") as handle:
        fitted = pickle.load(handle)
    frame = pd.read_csv(test_set.path)
    predicted = fitted.predict(frame.drop(columns=[target]))
    scores = {
        "rmse": float(mean_squared_error(frame[target], predicted) ** 0.5),
        "r2": float(r2_score(frame[target], predicted)),
        "mae": float(mean_absolute_error(frame[target], predicted)),
    }
    for name, value in scores.items():
        metrics.log_metric(name, value)
    limits = {"max_rmse": max_rmse, "min_r2": min_r2, "max_mae": max_mae}
    failures = [
        f"{name} {scores[name]:.3f} {op} {limit}"
        for name, op, limit, bad in (
            ("rmse", ">", max_rmse, scores["rmse"] > max_rmse),
            ("r2", "<", min_r2, scores["r2"] < min_r2),
            ("mae", ">", max_mae, scores["mae"] > max_mae),
        )
        if bad
    ]
    passed = not failures
    summary = ", ".join(f"{k}={v:.3f}" for k, v in scores.items())
    print(
        f"evaluate: {summary}; " + ("passed the thresholds" if passed else "failed: " + "; ".join(failures))
    )
    if not (mlflow_uri and mlflow_run_id):
        return passed

    import time

    import mlflow
    from mlflow.entities import Metric

    mlflow.set_tracking_uri(mlflow_uri)
    client = mlflow.MlflowClient()
    stamp = int(time.time() * 1000)
    client.log_batch(mlflow_run_id, metrics=[Metric(k, v, stamp, 0) for k, v in scores.items()])
    verdict = {"passed": str(passed).lower(), **{k: str(v) for k, v in limits.items()}}
    for key, value in verdict.items():
        client.set_tag(mlflow_run_id, key, value)
    print(f"evaluate: metrics and passed={verdict['passed']} logged to MLflow run {mlflow_run_id}")
    if not passed:
        print(f"evaluate: not registered in {model_name!r} (the registry keeps models that pass)")
        return False
    tags = {"branch": branch, "commit": commit, "trigger": trigger, "kfp_run_id": kfp_run_id}
    tags.update(run_id=mlflow_run_id, **verdict, **{k: str(v) for k, v in scores.items()})
    new = mlflow.register_model(logged_model_uri, model_name, tags={k: v for k, v in tags.items() if v})
    client.update_model_version(
        model_name, new.version, description=f"{branch}-{commit[:12]} [{trigger}]: {summary}"
    )
    # Where the registry keeps this version's files (MLmodel, model.pkl): what KServe downloads.
    files = client.get_model_version_download_uri(model_name, new.version)
    registered(str(new.version), files)
    print(f"evaluate: registered {model_name!r} version {new.version}, its files at {files}")
    return True
