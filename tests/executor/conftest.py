from collections.abc import Iterator

import pytest


@pytest.fixture
def bucket_kept(s3) -> Iterator[None]:
    """Snakemake removes a failed job's outputs, and the S3 storage plugin then deletes the
    bucket if that left it empty: put it back for the tests that share it."""
    yield
    buckets = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    if "batchflow-local" not in buckets:
        s3.create_bucket(Bucket="batchflow-local")
