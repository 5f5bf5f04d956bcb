"""Violation reports of the four monitor types, report file names, and JSON helpers the report models share.

Every monitor type writes ``constraint_violations.json`` with a ``violations`` list, but the keys of an item
differ per type (data quality names a ``feature_name``, model quality a ``metric_name``, bias a ``facet`` /
``facet_value`` / ``metric_name``, explainability a ``label``); Clarify files also carry ``"version": "1.0"``.
:class:`ViolationReport` reads them all into one shape. Each :class:`Violation` gets a ``subject``, the one
name a reader looks for first:

- DataQuality: the feature name (e.g. ``State_NV``);
- ModelQuality: the metric name (e.g. ``f2``);
- ModelBias: ``<facet>=<facet_value>:<metric_name>`` (e.g. ``Sex=0:CDDPL``); absent parts are left out with
  their separator (``Sex:CDDPL``, ``CDDPL``);
- ModelExplainability: the label (e.g. ``label0``).

When the preferred key is absent the subject falls back to the first present of feature name, metric name,
label, facet, and is ``""`` when none is. Clarify explainability runs without violations write no violations
file, and the other types may do the same: read a missing file as :meth:`ViolationReport.empty`, and decide on
``MonitoringExecutionStatus`` rather than on the file's presence.

Summaries are JSON-serializable with ``allow_nan=False``: non-finite floats become the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` (the spelling SageMaker's own files use).
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_mm_provider.monitoring.paths import (
    ANALYSIS_FILE,
    CONSTRAINT_VIOLATIONS_FILE,
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
)
from airflow_mm_provider.monitoring.report_json import load_json_object, optional_text
from airflow_mm_provider.monitoring.types import (
    DATA_QUALITY,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
    monitoring_type_api,
)
from airflow_mm_provider.monitoring.value_objects import ValueObject

_REPORT_FILES: dict[str, tuple[str, ...]] = {
    DATA_QUALITY: (CONSTRAINT_VIOLATIONS_FILE, STATISTICS_FILE, CONSTRAINTS_FILE),
    MODEL_QUALITY: (CONSTRAINT_VIOLATIONS_FILE, STATISTICS_FILE),
    MODEL_BIAS: (CONSTRAINT_VIOLATIONS_FILE, ANALYSIS_FILE),
    MODEL_EXPLAINABILITY: (CONSTRAINT_VIOLATIONS_FILE, ANALYSIS_FILE),
}
_BASELINE_FILES: dict[str, tuple[str, ...]] = {
    DATA_QUALITY: (STATISTICS_FILE, CONSTRAINTS_FILE),
    MODEL_QUALITY: (STATISTICS_FILE, CONSTRAINTS_FILE),
    MODEL_BIAS: (ANALYSIS_FILE,),
    MODEL_EXPLAINABILITY: (ANALYSIS_FILE,),
}


def check_monitoring_type(monitoring_type: str) -> str:
    """Return ``monitoring_type`` if it is a known monitoring type, else raise naming the field."""
    return monitoring_type_api(monitoring_type, "monitoring_type").monitoring_type


def report_files(monitoring_type: str) -> tuple[str, ...]:
    """The JSON files a monitoring execution of ``monitoring_type`` writes under its report URI.

    ``constraint_violations.json`` comes first and may be absent when there are no violations. Clarify types
    also write the reports in :data:`~airflow_mm_provider.monitoring.paths.CLARIFY_REPORT_FILES`, which
    are for people, not for parsing.
    """
    return _REPORT_FILES[check_monitoring_type(monitoring_type)]


def baseline_files(monitoring_type: str) -> tuple[str, ...]:
    """The JSON files a baselining job of ``monitoring_type`` writes."""
    return _BASELINE_FILES[check_monitoring_type(monitoring_type)]


def _subject(
    monitoring_type: str,
    feature_name: str | None,
    metric_name: str | None,
    facet: str | None,
    facet_value: str | None,
    label: str | None,
) -> str:
    if monitoring_type == MODEL_BIAS and (facet is not None or metric_name is not None):
        group = facet if facet_value is None or facet is None else f"{facet}={facet_value}"
        return ":".join(part for part in (group, metric_name) if part is not None)
    preferred = {
        DATA_QUALITY: feature_name,
        MODEL_QUALITY: metric_name,
        MODEL_EXPLAINABILITY: label,
    }.get(monitoring_type)
    for name in (preferred, feature_name, metric_name, label, facet):
        if name is not None:
            return name
    return ""


@dataclass(frozen=True, eq=False, repr=False)
class Violation(ValueObject):
    """One entry of ``constraint_violations.json``.

    :param monitoring_type: one of :data:`~airflow_mm_provider.monitoring.types.MONITORING_TYPES`.
    :param check_type: the ``constraint_check_type`` (e.g. ``data_type_check``, ``LessThanThreshold``,
        ``bias_drift_check``, ``feature_attribution_drift_check``).
    :param subject: the name a reader looks for first; see the module docstring for its format per type.
    :param metric_name: the metric (model quality, bias, explainability), if given.
    :param feature_name: the feature (data quality), if given.
    :param facet: the bias facet, if given.
    :param facet_value: the facet value or threshold, as text, if given.
    :param label: the explainability label, if given.
    :param description: free text from the container; its wording varies by container version: do not parse.
    """

    monitoring_type: str
    check_type: str
    subject: str
    metric_name: str | None = None
    feature_name: str | None = None
    facet: str | None = None
    facet_value: str | None = None
    label: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_monitoring_type(self.monitoring_type)

    @classmethod
    def create(
        cls,
        monitoring_type: str,
        check_type: str,
        description: str = "",
        *,
        metric_name: str | None = None,
        feature_name: str | None = None,
        facet: str | None = None,
        facet_value: str | None = None,
        label: str | None = None,
    ) -> Violation:
        """Build a violation whose ``subject`` is derived from the names (parameters as on the class)."""
        subject = _subject(
            check_monitoring_type(monitoring_type), feature_name, metric_name, facet, facet_value, label
        )
        return cls(
            monitoring_type=monitoring_type,
            check_type=check_type,
            subject=subject,
            metric_name=metric_name,
            feature_name=feature_name,
            facet=facet,
            facet_value=facet_value,
            label=label,
            description=description,
        )

    @classmethod
    def from_json(cls, monitoring_type: str, item: Mapping[str, Any]) -> Violation:
        """Read one item of a ``violations`` list; unknown keys are ignored, absent ones become ``None``.

        :param monitoring_type: the monitor type the file belongs to.
        :param item: the parsed JSON object.
        """
        if not isinstance(item, Mapping):
            raise ValueError(f"violation must be a JSON object (got {type(item).__name__})")
        return cls.create(
            monitoring_type,
            optional_text(item.get("constraint_check_type")) or "",
            optional_text(item.get("description")) or "",
            metric_name=optional_text(item.get("metric_name")),
            feature_name=optional_text(item.get("feature_name")),
            facet=optional_text(item.get("facet")),
            facet_value=optional_text(item.get("facet_value")),
            label=optional_text(item.get("label")),
        )

    def to_dict(self) -> dict[str, str | None]:
        """All fields as a JSON-safe dict (absent names as ``None``)."""
        return {
            "monitoring_type": self.monitoring_type,
            "check_type": self.check_type,
            "subject": self.subject,
            "metric_name": self.metric_name,
            "feature_name": self.feature_name,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "label": self.label,
            "description": self.description,
        }

    def to_json(self) -> dict[str, str]:
        """The item as SageMaker writes it in ``constraint_violations.json`` (only the keys that are set)."""
        item = {
            "feature_name": self.feature_name,
            "label": self.label,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "metric_name": self.metric_name,
            "constraint_check_type": self.check_type,
            "description": self.description,
        }
        return {key: value for key, value in item.items() if value is not None}


def _ranked_counts(keys: Iterable[str]) -> dict[str, int]:
    counts = Counter(keys)
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


_DECIMAL = re.compile(r"(?<![\w.])[-+]?\d+\.\d+(?:[eE][-+]?\d+)?(?!\.?\d)(?![A-Za-z_])")


def _rounded(match: re.Match[str], digits: int) -> str:
    """A decimal number of a description with at most ``digits`` significant digits (integer part kept)."""
    text = match.group()
    significant = re.split("[eE]", text)[0].lstrip("+-").replace(".", "").lstrip("0")
    if len(significant) <= digits:
        return text
    value = float(text)
    return f"{value:.0f}" if abs(value) >= 10**digits else f"{value:.{digits}g}"


def readable_numbers(text: str, digits: int = 4) -> str:
    """``text`` with its decimal numbers rounded to ``digits`` significant digits, for reading.

    :param text: free text, e.g. a violation's ``description``.
    :param digits: significant digits to keep; shorter numbers, integers and version-like ``1.2.3`` stay.
    """
    return _DECIMAL.sub(lambda match: _rounded(match, digits), text)


@dataclass(frozen=True, eq=False, repr=False)
class ViolationReport(ValueObject):
    """The parsed ``constraint_violations.json`` of one monitoring execution.

    :param monitoring_type: one of :data:`~airflow_mm_provider.monitoring.types.MONITORING_TYPES`.
    :param violations: the violations in file order.
    :param version: the file's ``version`` (Clarify writes ``"1.0"``), ``None`` when the file has none.

    ``len(report)`` is the violation count; test :attr:`has_violations` rather than the report's truth value.
    """

    monitoring_type: str
    violations: tuple[Violation, ...] = ()
    version: str | None = None

    def __post_init__(self) -> None:
        check_monitoring_type(self.monitoring_type)
        object.__setattr__(self, "violations", tuple(self.violations))
        for violation in self.violations:
            if violation.monitoring_type != self.monitoring_type:
                raise ValueError(
                    f"violations: a {violation.monitoring_type} violation cannot be in a "
                    f"{self.monitoring_type} report"
                )

    @classmethod
    def empty(cls, monitoring_type: str) -> ViolationReport:
        """A report with no violations, e.g. for a run that wrote no violations file."""
        return cls(monitoring_type)

    @classmethod
    def from_json(
        cls,
        monitoring_type: str,
        data: Mapping[str, Any] | str | bytes,
        *,
        require_violations: bool = False,
    ) -> ViolationReport:
        """Read ``constraint_violations.json`` of any monitor type, with or without ``version``.

        A missing or ``null`` ``violations`` key reads as no violations unless ``require_violations``.

        :param monitoring_type: the monitor type that wrote the file.
        :param data: the file content, parsed or as JSON text/bytes.
        :param require_violations: the file must list at least one violation, each naming its
            ``constraint_check_type``, as the report of an execution that ended ``CompletedWithViolations``
            does; anything else raises ``ValueError``.
        """
        check_monitoring_type(monitoring_type)
        document = load_json_object(data, CONSTRAINT_VIOLATIONS_FILE)
        items = document.get("violations") or []
        if not isinstance(items, list):
            raise ValueError(
                f"{CONSTRAINT_VIOLATIONS_FILE}: violations must be a list (got {type(items).__name__})"
            )
        if require_violations and not items:
            found = f"got {document['violations']!r}" if "violations" in document else "the key is missing"
            raise ValueError(f"{CONSTRAINT_VIOLATIONS_FILE}: violations must be a non-empty list ({found})")
        violations = []
        for index, item in enumerate(items):
            try:
                violation = Violation.from_json(monitoring_type, item)
                if require_violations and not violation.check_type:
                    raise ValueError(f"violation must name its constraint_check_type (got {item!r})")
            except ValueError as exc:
                raise ValueError(f"{CONSTRAINT_VIOLATIONS_FILE}: violations[{index}]: {exc}") from exc
            violations.append(violation)
        return cls(monitoring_type, tuple(violations), optional_text(document.get("version")))

    @property
    def count(self) -> int:
        """The number of violations."""
        return len(self.violations)

    @property
    def has_violations(self) -> bool:
        """Whether there is at least one violation."""
        return bool(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    def by_check_type(self) -> dict[str, int]:
        """Violation counts per check type, most frequent first."""
        return _ranked_counts(v.check_type for v in self.violations)

    def by_subject(self) -> dict[str, int]:
        """Violation counts per subject, most frequent first."""
        return _ranked_counts(v.subject for v in self.violations)

    def summary(self) -> dict[str, Any]:
        """A JSON-serializable summary for XCom: type, count, counts per check type and subject, items."""
        return {
            "monitoring_type": self.monitoring_type,
            "count": self.count,
            "by_check_type": self.by_check_type(),
            "by_subject": self.by_subject(),
            "violations": [v.to_dict() for v in self.violations],
        }

    def to_json(self) -> dict[str, Any]:
        """The report as SageMaker writes ``constraint_violations.json`` (``version`` only when set)."""
        document: dict[str, Any] = {} if self.version is None else {"version": self.version}
        document["violations"] = [v.to_json() for v in self.violations]
        return document

    def to_table(self, max_rows: int = 50, description_width: int = 80, digits: int = 4) -> str:
        """A text table (check type, subject, description) for task logs.

        Descriptions are shown in full, wrapped onto further lines of the description column, with their
        decimal numbers rounded for reading (:func:`readable_numbers`; the report keeps full precision).

        :param max_rows: at most this many rows are shown, followed by ``... and N more``.
        :param description_width: descriptions longer than this wrap onto further lines.
        :param digits: significant digits of the numbers in descriptions.
        """
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1 (got {max_rows!r})")
        if description_width < 10:
            raise ValueError(f"description_width must be at least 10 (got {description_width!r})")
        if digits < 1:
            raise ValueError(f"digits must be at least 1 (got {digits!r})")
        if not self.violations:
            return "No violations."
        shown = self.violations[:max_rows]
        rows = [("CHECK TYPE", "SUBJECT", ["DESCRIPTION"])]
        rows += [
            (
                _cut(v.check_type, 40),
                _cut(v.subject or "-", 60),
                textwrap.wrap(
                    readable_numbers(v.description, digits),
                    description_width,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                or [""],
            )
            for v in shown
        ]
        widths = [max(len(row[col]) for row in rows) for col in range(2)]
        indent = " " * (widths[0] + widths[1] + 4)
        lines: list[str] = []
        for check_type, subject, description in rows:
            lines.append(f"{check_type:<{widths[0]}}  {subject:<{widths[1]}}  {description[0]}".rstrip())
            lines += [indent + more for more in description[1:]]
        lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len('DESCRIPTION')}")
        if self.count > len(shown):
            lines.append(f"... and {self.count - len(shown)} more")
        return "\n".join(lines)

    def filter(self, violation_filter: ViolationFilter) -> ViolationReport:
        """The report restricted to the violations ``violation_filter`` matches."""
        return violation_filter.apply(self)


def _name_set(name: str, value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ValueError(f"{name} must be a string or a collection of strings (got {value!r})")
    names = frozenset(value)
    if not names:
        raise ValueError(f"{name} must not be empty; pass None to match every violation")
    if not all(isinstance(item, str) for item in names):
        raise ValueError(f"{name} must contain only strings (got {sorted(map(repr, names))})")
    return names


def _facet_keys(violation: Violation) -> set[str]:
    if violation.facet is None:
        return set()
    if violation.facet_value is None:
        return {violation.facet}
    return {violation.facet, f"{violation.facet}={violation.facet_value}"}


@dataclass(frozen=True, eq=False, repr=False)
class ViolationFilter(ValueObject):
    """Selects violations; every criterion given must match (``None`` matches everything).

    :param check_types: ``constraint_check_type`` values to keep.
    :param subjects: feature or metric names (or subjects) to keep; matched against ``feature_name``,
        ``metric_name`` and ``subject``.
    :param facets: bias facets to keep, as ``<facet>`` or ``<facet>=<facet_value>``.
    :param labels: explainability labels to keep.
    :param min_count: how many matching violations :meth:`counts` needs; at least 1.

    A single string is accepted wherever a collection is, and means a one-element set.
    """

    check_types: frozenset[str] | None = None
    subjects: frozenset[str] | None = None
    facets: frozenset[str] | None = None
    labels: frozenset[str] | None = None
    min_count: int = 1

    def __post_init__(self) -> None:
        for name in ("check_types", "subjects", "facets", "labels"):
            object.__setattr__(self, name, _name_set(name, getattr(self, name)))
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int) or self.min_count < 1:
            raise ValueError(f"min_count must be an integer of at least 1 (got {self.min_count!r})")

    def matches(self, violation: Violation) -> bool:
        """Whether ``violation`` meets every criterion."""
        if self.check_types is not None and violation.check_type not in self.check_types:
            return False
        names = {
            name
            for name in (violation.feature_name, violation.metric_name, violation.subject)
            if name is not None
        }
        if self.subjects is not None and self.subjects.isdisjoint(names):
            return False
        if self.facets is not None and self.facets.isdisjoint(_facet_keys(violation)):
            return False
        return self.labels is None or violation.label in self.labels

    def apply(self, report: ViolationReport) -> ViolationReport:
        """The report restricted to the matching violations (same type and version)."""
        kept = tuple(v for v in report.violations if self.matches(v))
        return ViolationReport(report.monitoring_type, kept, report.version)

    def counts(self, report: ViolationReport) -> bool:
        """Whether the matching violations in ``report`` reach ``min_count``."""
        return self.apply(report).count >= self.min_count
