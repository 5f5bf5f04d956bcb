"""Wait in the triggerer for a processing job: :class:`SageMakerProcessingJobTrigger`."""

from __future__ import annotations

from asyncio import sleep
from collections.abc import AsyncIterator

from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger
from airflow.triggers.base import TriggerEvent

from airflow_mm_provider.triggers.resume import resume_grace


class SageMakerProcessingJobTrigger(SageMakerTrigger):
    """The Amazon provider's ``SageMakerTrigger``, looking first one ``waiter_delay`` after the deferral.

    The Amazon trigger looks at once, so a job that ends within seconds resumes the task before Airflow 3.3
    may have seen the deferring worker exit (see :mod:`airflow_mm_provider.triggers.resume`). This one
    sleeps ``waiter_delay`` seconds, and at least :func:`~airflow_mm_provider.triggers.resume.resume_grace`,
    first. Same parameters and events as ``SageMakerTrigger``.
    """

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Sleep one delay, then wait as ``SageMakerTrigger`` does."""
        await sleep(max(float(self.waiter_delay), resume_grace().total_seconds()))
        async for event in super().run():
            yield event
