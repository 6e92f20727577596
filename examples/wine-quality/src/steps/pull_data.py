"""pull_data: read the wine-quality CSV from the branch's data URI and hand it to the pipeline."""

from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component(base_image="python:3.11-slim", packages_to_install=["pandas>=2,<4", "boto3>=1.28,<2"])
def pull_data(data_uri: str, dataset: Output[Dataset], s3_endpoint: str = "", sep: str = ";"):
    """Read ``data_uri`` (https://…, s3://bucket/key on MinIO/S3, or a local path) and save it as CSV.

    The UCI wine-quality files are ``;``-separated. s3:// reads use the AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY environment variables (on the cluster: from the Kubernetes secret).
    """
    import io

    import pandas as pd

    if data_uri.startswith("s3://"):
        import boto3

        bucket, _, key = data_uri[len("s3://") :].partition("/")
        s3 = boto3.client("s3", endpoint_url=s3_endpoint or None)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        frame = pd.read_csv(io.BytesIO(body), sep=sep)
    else:
        source = data_uri[len("file://") :] if data_uri.startswith("file://") else data_uri
        frame = pd.read_csv(source, sep=sep)  # pandas reads http(s) URLs and paths alike
    if frame.shape[1] < 2:
        raise ValueError(
            f"{data_uri} has {frame.shape[1]} column(s) when split on {sep!r}: "
            "check the data URI and the separator (the wine-quality files use ';')"
        )
    frame.to_csv(dataset.path, index=False)
    print(f"pull_data: {len(frame)} rows x {frame.shape[1]} columns from {data_uri}")
