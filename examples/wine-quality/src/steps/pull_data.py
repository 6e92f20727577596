"""pull_data: read the wine-quality CSV from the branch's data URI and hand it to the pipeline."""

from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "boto3>=1.28,<2"])
def pull_data(data_uri: str, dataset: Output[Dataset], s3_endpoint: str = "", sep: str = ";") -> str:
    """Read ``data_uri`` (https://…, s3://bucket/key on MinIO/S3, or a local path) and save it as CSV.

    The UCI wine-quality files are ``;``-separated. s3:// reads use the AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY environment variables (on the cluster: from the Kubernetes secret).

    Returns the data's version as its storage names it: the S3 object's ``version:<VersionId>`` in a
    versioned bucket, else ``etag:<ETag>``; an http(s) server's ETag, else ``modified:<Last-Modified>``;
    a local file's ``sha256:<hash>``. The model is tagged with it, and the drift check compares it with
    the version in storage now: a different one is new data.
    """
    import hashlib
    import io
    import urllib.request
    from email.utils import parsedate_to_datetime

    import pandas as pd

    if data_uri.startswith("s3://"):
        import boto3

        bucket, _, key = data_uri[len("s3://") :].partition("/")
        s3 = boto3.client("s3", endpoint_url=s3_endpoint or None)
        found = s3.get_object(Bucket=bucket, Key=key)
        body = found["Body"].read()
        object_version = found.get("VersionId") or ""
        if object_version and object_version != "null":
            version = f"version:{object_version}"
        else:
            version = "etag:" + found.get("ETag", "").strip('"')
    elif data_uri.startswith(("http://", "https://")):
        with urllib.request.urlopen(data_uri, timeout=120) as answer:
            body = answer.read()
            etag = (answer.headers.get("ETag") or "").removeprefix("W/").strip('"')
            modified = answer.headers.get("Last-Modified") or ""
        if etag:
            version = f"etag:{etag}"
        elif modified:
            version = "modified:" + parsedate_to_datetime(modified).strftime("%Y%m%dT%H%M%SZ")
        else:
            version = "sha256:" + hashlib.sha256(body).hexdigest()[:16]
    else:
        source = data_uri[len("file://") :] if data_uri.startswith("file://") else data_uri
        with open(source, "rb") as handle:
            body = handle.read()
        version = "sha256:" + hashlib.sha256(body).hexdigest()[:16]
    frame = pd.read_csv(io.BytesIO(body), sep=sep)
    if frame.shape[1] < 2:
        raise ValueError(
            f"{data_uri} has {frame.shape[1]} column(s) when split on {sep!r}: "
            "check the data URI and the separator (the wine-quality files use ';')"
        )
    frame.to_csv(dataset.path, index=False)
    print(f"pull_data: {len(frame)} rows x {frame.shape[1]} columns from {data_uri} ({version})")
    return version
