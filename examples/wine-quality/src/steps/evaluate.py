"""evaluate: score the model on the held-out rows, record it in MLflow, register it only when it passes."""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output, OutputPath


@dsl.component(
    base_image="python:3.11-slim",
    packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2", "mlflow-skinny>=3.1,<4", "boto3>=1.28,<2"],
)
def evaluate(
    model: Input[Model],
    test_set: Input[Dataset],
    reference: Input[Artifact],
    metrics: Output[Metrics],
    version: OutputPath(str),
    storage_uri: OutputPath(str),
    target: str = "quality",
    max_rmse: float = 0.9,
    min_r2: float = 0.3,
    max_mae: float = 0.8,
    mlflow_uri: str = "",
    mlflow_experiment: str = "",
    model_name: str = "",
    branch: str = "",
    commit: str = "",
    trigger: str = "",
    kfp_run_id: str = "",
    data_uri: str = "",
    data_version: str = "",
) -> bool:
    """RMSE, R² and MAE of the model on the held-out raw rows; passed when rmse <= max_rmse, r2 >= min_r2
    and mae <= max_mae. Returns whether it passed (the pipeline's condition).

    The metrics show in the KFP UI (``metrics``). With ``mlflow_uri``, this step records the run in MLflow,
    in one place once the verdict is known: a run named ``<branch>-<commit> [<trigger>]``, tagged with
    branch, commit, trigger, KFP run id, the thresholds and ``passed=true|false``, holding the model's
    parameters, the metrics and the model itself (with its signature and an input example in the raw
    column names), and the training data it was fit on: ``data_uri`` and ``data_version`` (tags; the version
    pull_data read) and train's ``reference`` statistics (``reference/reference.json``, what the drift check
    compares new data with). Only a model that passed becomes a new version of the registered model
    ``model_name``, tagged the same way with its metrics; ``version`` and ``storage_uri`` (where the registry
    keeps its files, what deploy hands KServe) are "" otherwise. A failing model stays a run, for
    comparison: the registry holds only models fit to serve.
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
    features = frame.drop(columns=[target])
    predicted = fitted.predict(features)
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
    if not mlflow_uri:
        print("evaluate: not tracked (no MLflow URI for this run): nothing logged, nothing registered")
        return passed

    import json
    import logging

    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow.exceptions import MlflowException

    # pickle: what KServe's scikit-learn server loads (model.pkl); MLflow's advice to use skops is muted.
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(mlflow_uri)
    mlflow.set_experiment(mlflow_experiment or "Default")
    run_tags = {"branch": branch, "commit": commit, "trigger": trigger, "kfp_run_id": kfp_run_id}
    run_tags.update(data_uri=data_uri, data_version=data_version)
    verdict = {"passed": str(passed).lower(), **{k: str(v) for k, v in limits.items()}}
    tags = {k: v for k, v in {**run_tags, **verdict}.items() if v}
    regress, scale = fitted.named_steps["regress"], fitted.named_steps["scale"]
    params = {"alpha": regress.alpha, "l1_ratio": regress.l1_ratio, "seed": regress.random_state}
    example = features.head(5)
    run_name = f"{branch or 'run'}-{commit[:12] or 'uncommitted'} [{trigger or 'local'}]"
    with mlflow.start_run(run_name=run_name, tags=tags) as run:
        mlflow.log_params({**params, "rows": int(scale.n_samples_seen_)})
        mlflow.log_metrics(scores)
        logged = mlflow.sklearn.log_model(
            fitted,
            name="model",
            signature=mlflow.models.infer_signature(example, fitted.predict(example)),
            input_example=example,
            serialization_format="pickle",
            # Stated rather than inferred (inferring them loads the model in a subprocess: seconds).
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
        with open(reference.path, encoding="utf-8") as handle:
            described = json.load(handle)
        described.update(data_uri=data_uri, data_version=data_version)
        mlflow.log_dict(described, "reference/reference.json")
    print(f"evaluate: logged to MLflow run {run.info.run_id} ({run_name}), passed={verdict['passed']}")
    if not passed:
        print(f"evaluate: not registered in {model_name!r} (the registry keeps models that pass)")
        return False
    client = mlflow.MlflowClient()
    try:
        client.create_registered_model(model_name, description=f"{branch}: models that passed the thresholds")
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    new = client.create_model_version(
        model_name,
        source=logged.model_uri,
        run_id=run.info.run_id,
        tags={**tags, "run_id": run.info.run_id, **{k: str(v) for k, v in scores.items()}},
        description=f"{run_name}: {summary}",
        model_id=logged.model_id,
    )
    # Where the registry keeps this version's files (MLmodel, model.pkl): what KServe downloads.
    files = client.get_model_version_download_uri(model_name, new.version)
    registered(str(new.version), files)
    print(f"evaluate: registered {model_name!r} version {new.version}, its files at {files}")
    return True
