"""The pytest plugin's connection fixture points an Airflow AWS hook at the running local service."""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.s3 import S3Hook


def test_connection_fixture_reaches_the_local_service(mm_local, mm_local_connection):
    hook = S3Hook(aws_conn_id=mm_local_connection)
    hook.create_bucket("plugin-bucket")
    hook.load_string("hello", key="k.txt", bucket_name="plugin-bucket")
    body = mm_local.client("s3").get_object(Bucket="plugin-bucket", Key="k.txt")["Body"].read()
    assert body == b"hello"
