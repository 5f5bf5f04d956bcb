from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.sensors.base import SageMakerModelMonitorBaseSensor


class Sensor(SageMakerModelMonitorBaseSensor):
    def poke(self, context: object) -> bool:
        return True


def test_hook_is_the_model_monitor_hook_with_the_sensor_settings() -> None:
    sensor = Sensor(
        task_id="t", aws_conn_id=None, region_name="eu-west-1", botocore_config={"read_timeout": 5}
    )
    assert isinstance(sensor.hook, SageMakerModelMonitorHook)
    assert (sensor.hook.region_name, sensor.hook.client_type) == ("eu-west-1", "sagemaker")


@pytest.mark.parametrize(
    ("soft_fail", "error"), [(False, AirflowFailException), (True, AirflowSkipException)]
)
def test_fail_fails_or_skips_with_the_message(soft_fail: bool, error: type[Exception]) -> None:
    with pytest.raises(error, match="^schedule broke$"):
        Sensor(task_id="t", soft_fail=soft_fail).fail("schedule broke")
