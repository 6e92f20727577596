"""KServe's own model server for tests: the ``kserve`` package's ``ModelServer`` (its real REST data plane: the V1
protocol ``POST /v1/models/NAME:predict`` and the V2 protocol ``POST /v2/models/NAME/infer``) serving a model
downloaded from its storage URI, in a subprocess bound to 127.0.0.1 on a free port.

No scikit-learn runtime is published on PyPI, so the model class follows KServe's sklearnserver
(https://github.com/kserve/kserve/blob/master/python/sklearnserver/sklearnserver/model.py): the model folder
must hold exactly one ``.joblib``/``.pkl``/``.pickle`` file, loaded with joblib; ``predict`` reads the request
with ``kserve.utils.utils.get_predict_input`` and answers with ``get_predict_response``. The download follows
KServe's storage initializer for ``s3://`` (kserve-storage's ``Storage._download_s3``: boto3 with
``AWS_ENDPOINT_URL`` and the ``AWS_*`` keys, every object under the prefix, paths kept relative to it); a local
folder is used as it is. ``import kserve`` is slow and parses ``sys.argv``, so it happens in the subprocess only.

    with KServeModelServer(tmp_path, "wine", storage_uri, env=s3.env) as server:
        server.predict_v1(rows)      # {"instances": rows} -> predictions
        server.infer_v2(frame)       # one FP64 input per column, content_type "pd" -> predictions
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.process_support import free_port, start_server, stop_server

STARTUP_TIMEOUT = 180  # seconds: importing kserve takes a few on a loaded machine

SERVER = r'''
"""A KServe model server for one scikit-learn model (see tests/kserve_support.py)."""
import os
import pathlib
import sys

import joblib
from kserve import Model, ModelServer
from kserve import model_server
from kserve.errors import InferenceError, ModelMissingError
from kserve.utils.utils import get_predict_input, get_predict_response

MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle")


def download(uri: str, target: str) -> str:
    """What KServe's storage initializer does before the server starts (s3:// and local folders)."""
    if not uri.startswith("s3://"):
        return uri.removeprefix("file://")
    import boto3

    bucket_name, _, prefix = uri.removeprefix("s3://").partition("/")
    bucket = boto3.resource("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None).Bucket(bucket_name)
    found = 0
    for item in bucket.objects.filter(Prefix=prefix):
        if item.key.endswith("/") or item.size == 0:
            continue
        relative = item.key.removeprefix(prefix).lstrip("/") or item.key.rsplit("/", 1)[-1]
        path = pathlib.Path(target) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        bucket.download_file(item.key, str(path))
        found += 1
    if not found:
        raise RuntimeError(f"Failed to fetch model. No model found in {prefix}.")
    return target


class SKLearnModel(Model):
    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.ready = False

    def load(self) -> bool:
        folder = pathlib.Path(self.model_dir)
        files = [p for p in folder.iterdir() if p.is_file() and p.name.endswith(MODEL_EXTENSIONS)]
        if not files:
            raise ModelMissingError(folder)
        if len(files) > 1:
            raise RuntimeError(f"More than one model file is detected, Only one is allowed within model_dir: {files}")
        self._model = joblib.load(files[0])
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        try:
            return get_predict_response(payload, self._model.predict(get_predict_input(payload)), self.name)
        except Exception as exc:
            raise InferenceError(str(exc))


class LocalRESTServer(model_server.RESTServer):
    """KServe binds 0.0.0.0; a test server answers on 127.0.0.1 only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config.host = "127.0.0.1"


if __name__ == "__main__":
    name, storage_uri, port, workdir = sys.argv[1:5]
    model = SKLearnModel(name, download(storage_uri, workdir))
    model.load()
    model_server.RESTServer = LocalRESTServer
    ModelServer(http_port=int(port), enable_grpc=False, workers=1).start([model])
'''


class KServeModelServer:
    def __init__(self, folder: Path, name: str, storage_uri: str, *, env: dict[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.name = name
        self.storage_uri = storage_uri
        self.env = dict(env or {})
        self.port = free_port()
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "KServeModelServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        script = self.folder / "kserve_sklearn_server.py"
        script.write_text(SERVER)
        command = [sys.executable, str(script), self.name, self.storage_uri, str(self.port), str(self.folder / "model")]
        self._proc = start_server(
            command,
            cwd=self.folder,
            env={**os.environ, **self.env},
            log=self.folder / "kserve.log",
            ready_url=f"{self.url}/v2/models/{self.name}/ready",
            timeout=STARTUP_TIMEOUT,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        stop_server(self._proc)

    def log(self) -> str:
        path = self.folder / "kserve.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def _post(self, path: str, payload: dict) -> dict:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{path} answered HTTP {exc.code}: {exc.read()[:500]!r}") from None

    def predict_v1(self, rows: list[list[float]]) -> list[float]:
        """KServe's V1 protocol: ``{"instances": [[...], ...]}`` -> ``{"predictions": [...]}``."""
        return self._post(f"/v1/models/{self.name}:predict", {"instances": rows})["predictions"]

    def infer_v2(self, frame) -> list[float]:
        """The V2 (Open Inference) protocol, one named FP64 input per column of ``frame`` (a pandas DataFrame),
        ``content_type: pd`` so KServe hands the model a DataFrame with the raw column names."""
        inputs = [
            {
                "name": str(column),
                "shape": [len(frame)],
                "datatype": "FP64",
                "data": frame[column].astype(float).tolist(),
            }
            for column in frame.columns
        ]
        answer = self._post(f"/v2/models/{self.name}/infer", {"inputs": inputs, "parameters": {"content_type": "pd"}})
        assert answer["model_name"] == self.name
        return answer["outputs"][0]["data"]
