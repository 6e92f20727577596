"""An S3 API on 127.0.0.1 for tests: moto's server, which implements S3's documented REST API with real buckets
and objects (as the platform's MinIO does), so boto3, MLflow's S3 artifact store and KServe-style downloads
run unchanged and offline.

    with S3Server(buckets=("mlflow",)) as s3:   s3.endpoint, s3.client(), s3.env (what a client needs)

``s3_server`` is a session fixture with the bucket ``mlflow`` (the platform's MLflow artifact bucket).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# moto accepts any key pair; these are what the clients in the tests send.
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret"}


class S3Server:
    def __init__(self, buckets: tuple[str, ...] = ("mlflow",)) -> None:
        self.buckets = buckets
        self._server = None
        self.endpoint = ""

    def __enter__(self) -> "S3Server":
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        for bucket in self.buckets:
            self.client().create_bucket(Bucket=bucket)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def env(self) -> dict[str, str]:
        """The variables an S3 client (boto3, MLflow's artifact store, KServe's storage) reads."""
        return {
            **KEYS,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,  # boto3 and KServe's storage initializer
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,  # MLflow's S3 artifact repository
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, uri: str) -> list[str]:
        """Object keys under an s3://bucket/prefix URI, relative to the prefix."""
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        found = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return sorted(item["Key"][len(prefix) :].lstrip("/") for item in found)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server
