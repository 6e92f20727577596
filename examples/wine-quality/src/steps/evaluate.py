"""evaluate: score the model on the test set and decide whether it is good enough to deploy."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "scikit-learn>=1.3,<2"])
def evaluate(
    model: Input[Model],
    test_set: Input[Dataset],
    metrics: Output[Metrics],
    target: str = "quality",
    max_rmse: float = 0.9,
    min_r2: float = 0.3,
    max_mae: float = 0.8,
    mlflow_uri: str = "",
    mlflow_run_id: str = "",
) -> bool:
    """RMSE, R² and MAE on the held-out rows; True when rmse <= max_rmse, r2 >= min_r2 and mae <= max_mae.

    The metrics show in the KFP UI (``metrics``) and, when the training run was tracked, in MLflow.
    """
    import pickle

    import pandas as pd
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

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
    if mlflow_uri and mlflow_run_id:
        # MLflow's REST API (runs/log-batch) needs no client library in this step's image.
        import json
        import time
        import urllib.request

        stamp = int(time.time() * 1000)
        payload = {
            "run_id": mlflow_run_id,
            "metrics": [{"key": k, "value": v, "timestamp": stamp, "step": 0} for k, v in scores.items()],
        }
        request = urllib.request.Request(
            f"{mlflow_uri.rstrip('/')}/api/2.0/mlflow/runs/log-batch",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass
        print(f"evaluate: metrics logged to MLflow run {mlflow_run_id}")
    return passed
