"""The analysis engine as a processing job sees it: three entry points, one per Model Monitor image.

Jobs run as their container would: the environment keeps container paths (``/opt/ml/processing/...``) and
the engine gets ``input_dirs``, a map from each input's container path to the local directory holding it.
:class:`AnalysisEngine` adapts ``airflow_mm_provider.analysis.jobs``; tests may pass any object with the
same three methods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

MIRROR_PATH = "/opt/ml/processing/s3-mirror"
"""Container path of the local copies of the objects batch-transform manifests list."""
MIRROR_ENV = "batch_mirror_root"
"""Environment variable naming :data:`MIRROR_PATH` for the engine."""


class Outcome(Protocol):
    """What the engine returns: status ``Completed``/``Failed``, exit message, failure reason."""

    @property
    def status(self) -> str:
        """``Completed`` or ``Failed``."""

    @property
    def exit_message(self) -> str | None:
        """The job's ExitMessage."""

    @property
    def failure_reason(self) -> str | None:
        """The job's FailureReason."""


class Engine(Protocol):
    """The analysis engine; each call reads the inputs through ``input_dirs`` and writes ``output_dir``."""

    def run_analyzer(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Data-quality / model-quality analysis or baselining (analyzer image)."""

    def run_merge(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Join captured records with ground truth (first job of model quality / bias executions)."""

    def run_clarify(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """Bias analysis or baselining (Clarify image)."""


class AnalysisEngine:
    """Adapter onto ``airflow_mm_provider.analysis.jobs`` (imported on first use, so numpy stays lazy)."""

    def run_analyzer(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_analyzer`` as is."""
        from airflow_mm_provider.analysis.jobs import run_analyzer

        return run_analyzer(environment, input_dirs, output_dir)

    def run_merge(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_merge`` with the capture and ground-truth folders named by the environment."""
        from airflow_mm_provider.analysis.jobs import resolve_container_path, run_merge

        mirror = environment.get(MIRROR_ENV)
        return run_merge(
            resolve_container_path(input_dirs, environment["dataset_source"]),
            resolve_container_path(input_dirs, environment["ground_truth_source"]),
            output_dir,
            environment.get("start_time"),
            environment.get("end_time"),
            batch_mirror_root=resolve_container_path(input_dirs, mirror) if mirror else None,
        )

    def run_clarify(
        self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Outcome:
        """``analysis.jobs.run_clarify`` as is."""
        from airflow_mm_provider.analysis.jobs import run_clarify

        return run_clarify(environment, input_dirs, output_dir)
