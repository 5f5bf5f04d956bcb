"""Schedule expressions Model Monitor accepts, and the slot times they produce.

Model Monitor accepts a small subset of EventBridge cron, always in UTC: hourly, daily at hour H, every N
hours from hour H, or ``NOW`` (one run, immediately). A slot is the top of an hour the expression selects; an
execution's ``ScheduledTime`` is its slot, and the run starts 0-20 minutes later.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from airflow_mm_provider.monitoring.checks import is_int
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.rules import Rule, rule
from airflow_mm_provider.monitoring.times import HOUR, as_utc, floor_hour
from airflow_mm_provider.monitoring.value_objects import ValueObject

FIELD = "ScheduleConfig.ScheduleExpression"
DAY = timedelta(days=1)

EXPRESSION_FORM = rule(
    "schedule-expression-form",
    FIELD,
    "must be exactly one of 'cron(0 * ? * * *)' (hourly), 'cron(0 H ? * * *)' (daily at hour H, UTC), "
    "'cron(0 H/N ? * * *)' (every N hours from hour H) or 'NOW' (one run)",
    "Model Monitor supports only hourly, daily, every-N-hours and NOW schedules "
    "(botocore ScheduleConfig doc; DG model-monitor-schedule-expression)",
)
EXPRESSION_HOUR = rule(
    "schedule-hour-range",
    FIELD,
    "must use a start hour H from 0 to 23 (UTC)",
    "cron hour field; DG model-monitor-schedule-expression 'cron(0 [00-23] ? * * *)'",
)
EXPRESSION_INTERVAL = rule(
    "schedule-interval-range",
    FIELD,
    "must use an hour interval N from 1 to 24",
    "DG model-monitor-schedule-expression: only hourly integer rates between 1 hour and 24 hours",
)

_NUMBER = r"(\d{1,2})"
# The two day-field layouts the service accepts: "? * * *" (documented) and "* * ? *" (observed in SDK tests).
_TAIL = r" (?:\? \* \* \*|\* \* \? \*)\)"
_HOURLY = r"cron\(0 \*" + _TAIL
_DAILY = r"cron\(0 " + _NUMBER + _TAIL
_EVERY = r"cron\(0 " + _NUMBER + "/" + _NUMBER + _TAIL
NOW = "NOW"


class ScheduleExpressionError(MonitoringValidationError):
    """A schedule expression outside the supported forms, with a hint about the likely mistake.

    :param field: dotted path of the expression field.
    :param rule: the rule that was broken.
    :param value: the expression as given.
    :param hint: one sentence about the likely mistake, appended to the message when given.
    """

    def __init__(self, field: str, rule: Rule, value: Any, hint: str = "") -> None:
        super().__init__(field, rule, value)
        self.hint = hint
        if hint:
            self.args = (f"{self.args[0]} {hint}",)


def _check_int(value: Any, low: int, high: int, field: str, broken: Rule) -> int:
    if not is_int(value, low, high):
        raise MonitoringValidationError(field, broken, value)
    return value


@dataclass(frozen=True, eq=False, repr=False)
class ScheduleExpression(ValueObject):
    """A Model Monitor ``ScheduleExpression``; build it with a constructor, not directly.

    :param expression: the string sent to the API, e.g. ``"cron(0 * ? * * *)"`` or ``"NOW"``.
    :param interval_hours: 1 hourly, 24 daily, N for every N hours, None for NOW.
    :param hours: the UTC hours of the day that have a slot, ascending (empty for NOW).
    """

    expression: str
    interval_hours: int | None
    hours: tuple[int, ...]

    @classmethod
    def hourly(cls) -> ScheduleExpression:
        """Every hour on the hour: ``cron(0 * ? * * *)``."""
        return cls("cron(0 * ? * * *)", 1, tuple(range(24)))

    @classmethod
    def daily(cls, hour: int = 0, field: str = FIELD) -> ScheduleExpression:
        """Once a day at ``hour`` UTC: ``cron(0 H ? * * *)``.

        :param hour: the UTC hour of the run, 0..23.
        :param field: the field path named in errors.
        """
        hour = _check_int(hour, 0, 23, field, EXPRESSION_HOUR)
        return cls(f"cron(0 {hour} ? * * *)", 24, (hour,))

    @classmethod
    def every_n_hours(cls, n: int, start_hour: int = 0, field: str = FIELD) -> ScheduleExpression:
        """Every ``n`` hours from ``start_hour`` each UTC day: ``cron(0 S/N ? * * *)``.

        Like cron, the sequence restarts at midnight: ``every_n_hours(5)`` runs at 0, 5, 10, 15, 20 h, so the
        gap from 20 h to the next day's 0 h is 4 h.

        :param n: hours between runs, 1..24.
        :param start_hour: the first UTC hour of each day with a run, 0..23.
        :param field: the field path named in errors.
        """
        n = _check_int(n, 1, 24, field, EXPRESSION_INTERVAL)
        start_hour = _check_int(start_hour, 0, 23, field, EXPRESSION_HOUR)
        return cls(f"cron(0 {start_hour}/{n} ? * * *)", n, tuple(range(start_hour, 24, n)))

    @classmethod
    def now(cls) -> ScheduleExpression:
        """One run, immediately: ``NOW`` (needs DataAnalysisStartTime and DataAnalysisEndTime)."""
        return cls(NOW, None, ())

    @classmethod
    def parse(cls, text: str, field: str = FIELD) -> ScheduleExpression:
        """Parse an API expression string, accepting exactly the forms the service accepts.

        Hourly also accepts ``cron(0 * * * ? *)``, and every cron form accepts the day fields as ``* * ? *``
        as well as ``? * * *``. Whitespace and the case of ``NOW`` must be exact. The result keeps ``text``
        unchanged as its ``expression``.

        :param text: the expression, e.g. ``"cron(0 12 ? * * *)"``.
        :param field: the field path named in errors.
        """
        if not isinstance(text, str):
            raise ScheduleExpressionError(field, EXPRESSION_FORM, text)
        try:
            parsed = _parse_exact(text, field)
        except MonitoringValidationError as error:
            raise MonitoringValidationError(field, error.rule, text) from None
        if parsed is None:
            raise ScheduleExpressionError(field, EXPRESSION_FORM, text, _hint(text))
        return cls(text, parsed.interval_hours, parsed.hours)

    @classmethod
    def coerce(cls, value: ScheduleExpression | str, field: str = FIELD) -> ScheduleExpression:
        """Return ``value`` if it is already an expression, else parse it as an API string.

        :param value: a ScheduleExpression or an expression string.
        :param field: the field path named in errors.
        """
        return value if isinstance(value, ScheduleExpression) else cls.parse(value, field)

    def __str__(self) -> str:
        return self.expression

    @property
    def is_now(self) -> bool:
        """True for the one-time ``NOW`` expression."""
        return self.interval_hours is None

    @property
    def shortest_gap(self) -> timedelta | None:
        """The shortest time between two consecutive slots (wrapping over midnight); None for NOW."""
        if self.is_now:
            return None
        return HOUR * min(b - a for a, b in pairwise((*self.hours, self.hours[0] + 24)))

    def previous_slot(self, t: datetime) -> datetime:
        """The latest slot at or before ``t``, in UTC.

        :param t: a timezone-aware datetime.
        """
        top = floor_hour(t, "t")
        day = top.replace(hour=0)
        index = bisect.bisect_right(self._recurring_hours(), top.hour) - 1
        if index < 0:
            return day - DAY + HOUR * self.hours[-1]
        return day + HOUR * self.hours[index]

    def next_slot(self, t: datetime) -> datetime:
        """The first slot strictly after ``t``, in UTC.

        :param t: a timezone-aware datetime.
        """
        top = floor_hour(t, "t")
        day = top.replace(hour=0)
        index = bisect.bisect_right(self._recurring_hours(), top.hour)
        if index == len(self.hours):
            return day + DAY + HOUR * self.hours[0]
        return day + HOUR * self.hours[index]

    def slots(self, start: datetime, end: datetime) -> list[datetime]:
        """Every slot in ``[start, end)``, in UTC and ascending; empty when ``end <= start``.

        Work is proportional to the number of days and slots in the range, not to its length in minutes.

        :param start: a timezone-aware datetime, included if it is a slot.
        :param end: a timezone-aware datetime, excluded.
        """
        hours = self._recurring_hours()
        start, end = as_utc(start, "start"), as_utc(end, "end")
        found: list[datetime] = []
        if end <= start:
            return found
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:
            found.extend(slot for slot in (day + HOUR * h for h in hours) if start <= slot < end)
            day += DAY
        return found

    def period_before(self, slot: datetime) -> timedelta:
        """The time from the slot before ``slot`` to ``slot``, e.g. as the ``period`` of an analysis window.

        :param slot: a slot of this expression (timezone-aware).
        """
        slot = as_utc(slot, "slot")
        if self.previous_slot(slot) != slot:
            raise ValueError(f"{slot.isoformat()} is not a slot of {self.expression}")
        return slot - self.previous_slot(slot - timedelta(microseconds=1))

    def _recurring_hours(self) -> tuple[int, ...]:
        if self.is_now:
            raise ValueError(
                "a NOW schedule runs once and has no recurring slots; use an hourly, daily or every-N-hours "
                "expression for slot times"
            )
        return self.hours


def recurring_expression(
    value: ScheduleExpression | str | None, field: str = "schedule"
) -> ScheduleExpression:
    """The recurring expression ``value`` names (hourly when None); ``NOW``, which has no slots, is refused.

    :param value: a ScheduleExpression, its API string, or None.
    :param field: the parameter named in errors.
    """
    expression = ScheduleExpression.coerce(value or ScheduleExpression.hourly(), field)
    if expression.is_now:
        raise ValueError(
            f"{field}: NOW has no slots; give a recurring expression (hourly, daily or every N hours)"
        )
    return expression


def _parse_exact(text: str, field: str) -> ScheduleExpression | None:
    if text == NOW:
        return ScheduleExpression.now()
    if re.fullmatch(_HOURLY, text):
        return ScheduleExpression.hourly()
    match = re.fullmatch(_DAILY, text)
    if match:
        return ScheduleExpression.daily(int(match[1]), field)
    match = re.fullmatch(_EVERY, text)
    if match:
        return ScheduleExpression.every_n_hours(int(match[2]), int(match[1]), field)
    return None


def _is_supported(text: str) -> bool:
    return any(re.fullmatch(pattern, text) for pattern in (_HOURLY, _DAILY, _EVERY))


def _hint(text: str) -> str:
    """One sentence naming the likely mistake in an unsupported expression, or an empty string."""
    stripped = text.strip()
    collapsed = " ".join(stripped.split()).replace("( ", "(").replace(" )", ")")
    if stripped.upper() == NOW:
        return "Write NOW in capitals, with nothing around it."
    embedded = re.search(r"cron\(.*?\)", text)
    if embedded and embedded.group(0) != stripped and _is_supported(embedded.group(0)):
        return (
            f"It looks like documentation text was copied with the expression; "
            f"send only {embedded.group(0)!r}."
        )
    if collapsed != text and (collapsed == NOW or _is_supported(collapsed)):
        return f"Remove the extra whitespace: {collapsed!r}."
    if re.fullmatch(r"rate\(.*\)", stripped):
        return "rate() expressions are not supported; use cron(0 H/N ? * * *) for every N hours."
    return ""
