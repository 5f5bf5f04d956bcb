"""``mm-local`` names, images, environment, response shapes and error codes as the real service shows them.

Each test cites the public source it matches. The job names, merge image and ``metric_time`` come from the
processing-job requests of a real model-quality execution, logged in CloudWatch and published in the notes
"The MLOps Pipeline MKV (Python)" (a public AWS CDK project README, section "Model Quality Monitoring
Schedule"; referred to below as *the logged requests*).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.images import groundtruth_merger_image_uri
from tests.support.engine import FakeEngine
from tests.support.service import (
    ANALYZER,
    BUCKET,
    ROLE,
    T0,
    create_definition,
    endpoint,
    put_capture,
    schedule_config,
)

SLOT = datetime(2024, 1, 1, 1, tzinfo=timezone.utc)
MERGER_US_EAST_1 = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"


def _schedule(mm: LocalModelMonitor, sm: Any, job_type: str) -> None:
    mm.set_clock(T0)
    endpoint(sm)
    create_definition(sm, job_type, "jd")
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("jd", job_type)
    )


def _model_quality_run(mm: LocalModelMonitor, sm: Any, s3: Any) -> list[dict[str, Any]]:
    """One model-quality execution for SLOT with data; its processing jobs, oldest first."""
    _schedule(mm, sm, "ModelQuality")
    put_capture(s3, [T0.replace(minute=0)])
    s3.put_object(Bucket=BUCKET, Key="ground-truth/2024/01/01/01/gt.jsonl", Body=b"{}\n")
    mm.run_due(SLOT)
    summaries = sm.list_processing_jobs(SortBy="CreationTime", SortOrder="Ascending")[
        "ProcessingJobSummaries"
    ]
    return [sm.describe_processing_job(ProcessingJobName=j["ProcessingJobName"]) for j in summaries]


def test_model_quality_execution_jobs_are_named_per_type(mm: Any, sm: Any, s3: Any) -> None:
    """The logged requests: ``groundtruth-merge-202105062300-de32d8acceeef6a1626b8fa6`` then
    ``model-quality-monitoring-202105062300-de32d8acceeef6a1626b8fa6``: a per-job prefix, the slot as
    yyyymmddHHMM and 24 hex digits shared by both jobs of the execution. (Data quality and bias prefixes
    are not public; those jobs keep ``model-monitoring-``.)"""
    merge, analysis = (job["ProcessingJobName"] for job in _model_quality_run(mm, sm, s3))
    found_merge = re.fullmatch(r"groundtruth-merge-202401010100-([0-9a-f]{24})", merge)
    found_analysis = re.fullmatch(r"model-quality-monitoring-202401010100-([0-9a-f]{24})", analysis)
    assert found_merge and found_analysis
    assert found_merge.group(1) == found_analysis.group(1)


def test_merge_job_runs_the_groundtruth_merger_image(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    """The logged requests: the merge job's ``AppSpecification.ImageUri`` is
    ``777275614652.dkr.ecr.us-east-2.amazonaws.com/sagemaker-model-monitor-groundtruth-merger`` (the
    analyzer's us-east-2 account), the analysis job's is the ``sagemaker-model-monitor-analyzer``."""
    merge, analysis = _model_quality_run(mm, sm, s3)
    assert merge["AppSpecification"] == {"ImageUri": MERGER_US_EAST_1}
    assert analysis["AppSpecification"]["ImageUri"] == ANALYZER
    assert [call[0] for call in engine.calls] == ["merge", "analyzer"]


def test_merger_image_shares_the_analyzer_account_per_region() -> None:
    """The logged requests show the merger in us-east-2 under 777275614652, the analyzer's account there
    (SageMaker SDK image_uri_config/model-monitor.json); public scripts that run the merger as a plain
    processing job use the analyzer's region-to-account map for it."""
    assert groundtruth_merger_image_uri("us-east-2") == (
        "777275614652.dkr.ecr.us-east-2.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"
    )
    assert groundtruth_merger_image_uri("us-east-1") == MERGER_US_EAST_1


def _input(name: str, uri: str, local_path: str) -> dict[str, Any]:
    s3_input = {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File"}
    return {"InputName": name, "S3Input": s3_input}


def test_processing_job_with_the_merger_image_runs_the_merge(sm: Any, s3: Any, engine: FakeEngine) -> None:
    """Public scripts run the merger image as a plain processing job (``Processor(image_uri=<merger>,
    env={"dataset_source": "/opt/ml/processing/input_data", "ground_truth_source":
    "/opt/ml/processing/groundtruth", "output_path": "/opt/ml/processing/output"})``, the environment of
    the logged merge request), so the local service accepts that image."""
    put_capture(s3, [T0.replace(minute=0)])
    s3.put_object(Bucket=BUCKET, Key="ground-truth/2024/01/01/00/gt.jsonl", Body=b"{}\n")
    local = {"input": "/opt/ml/processing/input_data", "gt": "/opt/ml/processing/groundtruth"}
    sm.create_processing_job(
        ProcessingJobName="merge-by-hand",
        ProcessingInputs=[
            _input("endpoint_input_1", f"s3://{BUCKET}/capture/ep", local["input"]),
            _input("groundtruth_input_1", f"s3://{BUCKET}/ground-truth", local["gt"]),
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"s3://{BUCKET}/merge",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        AppSpecification={"ImageUri": MERGER_US_EAST_1},
        Environment={
            "dataset_source": local["input"],
            "ground_truth_source": local["gt"],
            "output_path": "/opt/ml/processing/output",
        },
        RoleArn=ROLE,
    )
    sm.get_waiter("processing_job_completed_or_stopped").wait(
        ProcessingJobName="merge-by-hand", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert sm.describe_processing_job(ProcessingJobName="merge-by-hand")["ProcessingJobStatus"] == "Completed"
    assert [call[0] for call in engine.calls] == ["merge"]


def test_metric_time_is_the_start_of_the_analysed_window(mm: Any, sm: Any, s3: Any) -> None:
    """The logged analysis request of the 23:00 slot: ``start_time`` ``2021-05-06T22:00:00Z``, ``end_time``
    ``2021-05-06T23:00:00Z``, ``metric_time`` ``2021-05-06T22:00:00Z``: the window start, not the slot."""
    _merge, analysis = _model_quality_run(mm, sm, s3)
    environment = analysis["Environment"]
    assert (environment["start_time"], environment["end_time"]) == (
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00Z",
    )
    assert environment["metric_time"] == environment["start_time"]


def test_execution_failing_before_its_job_starts_has_no_processing_job_arn(mm: Any, sm: Any) -> None:
    """aws/sagemaker-python-sdk (master-v2) src/sagemaker/model_monitor/clarify_model_monitoring.py
    ``get_latest_execution_logs`` raises "Processing Job did not run for the last execution" when the latest
    summary has no ``ProcessingJobArn`` (unit fixture ``MONITORING_EXECUTIONS_NO_PROCESSING_JOB``): the real
    service lists executions whose job never ran, without an ARN. Kept as is: no public output shows a job
    ARN on such an execution."""
    mm.set_clock(T0)
    endpoint(sm, capture=False)
    create_definition(sm, "DataQuality", "jd")
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
    )
    mm.run_due(SLOT)
    (execution,) = sm.list_monitoring_executions(MonitoringScheduleName="sched")[
        "MonitoringExecutionSummaries"
    ]
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["FailureReason"].startswith("Job inputs had no data")
    assert "ProcessingJobArn" not in execution


def _capture_endpoint(sm: Any, name: str, kms_key: str | None) -> dict[str, Any]:
    endpoint(sm, name, kms_key=kms_key)
    return sm.describe_endpoint(EndpointName=name)["DataCaptureConfig"]


def test_describe_endpoint_capture_summary_has_kms_key_id_only_when_one_is_set(sm: Any) -> None:
    """https://github.com/aws/sagemaker-python-sdk/issues/5738 (and the sagemaker-core test written for it,
    ``TestDataCaptureConfigSummaryOptionalKmsKeyId``): "DescribeEndpoint omits DataCaptureConfig.KmsKeyId
    when data capture is enabled without a customer-managed KMS key", although botocore's
    ``DataCaptureConfigSummary`` lists it as required; an executed notebook's real ``describe_endpoint``
    output shows the same summary without it. With a key configured, the key is returned."""
    assert _capture_endpoint(sm, "plain", None) == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{BUCKET}/capture",
    }
    key = "arn:aws:kms:us-east-1:123456789012:key/abcd1234"
    assert _capture_endpoint(sm, "encrypted", key)["KmsKeyId"] == key


def test_describe_missing_processing_job_is_a_validation_exception(sm: Any) -> None:
    """apache-airflow-providers-amazon operators/sagemaker.py ``_check_if_resource_exists`` (used for
    processing jobs): "ValidationException is thrown when the resource could not be found";
    https://github.com/aws/aws-sdk/issues/165 (``DescribeTrainingJob`` answers ValidationException, not
    ResourceNotFound); https://github.com/aws/sagemaker-python-sdk/issues/5549 (``DescribeProcessingJob`` on
    a job AWS does not have fails with "Could not find requested job")."""
    with pytest.raises(ClientError) as caught:
        sm.describe_processing_job(ProcessingJobName="never-created")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("Could not find requested job")
