"""EventBridge Scheduler's schedule expressions, checked the way the service checks them.

The stack schedules its tick with an EventBridge Scheduler schedule (``AWS::Scheduler::Schedule``),
which accepts ``rate(value unit)`` and six-field ``cron(...)`` expressions. The rules below are the
ones in the Scheduler User Guide ("Schedule types on EventBridge Scheduler") and the cron reference
it links to (EventBridge User Guide, "Cron expressions reference"); anything they reject would
otherwise pass synthesis and fail at deploy time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN..DEC or SUN..SAT, standing for low, low + 1, ...
    question_mark: bool = False  # "?": any (day-of-month and day-of-week only)
    slash: bool = True  # "/": increments


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, question_mark=True)
_MONTH = _Field("month", 1, 12, names=_MONTHS)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, names=_WEEKDAYS, question_mark=True, slash=False)
_YEAR = _Field("year", 1970, 2199)
_FIELDS = (_MINUTES, _HOURS, _DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK, _YEAR)
CRON_FIELDS = " ".join(field.name for field in _FIELDS)


def schedule_problem(expression: str) -> str | None:
    """What EventBridge Scheduler would reject in a recurring schedule expression, or None if nothing."""
    if expression.startswith("rate("):
        return _rate_problem(expression)
    cron = _CRON.fullmatch(expression)
    if cron:
        return _cron_problem(cron.group(1))
    return "it is neither rate(value unit), cron(six fields) nor a number of minutes"


def _rate_problem(expression: str) -> str | None:
    rate = _RATE.fullmatch(expression)
    if not rate:
        return "a rate is rate(value unit) with a whole number and minute(s), hour(s) or day(s), e.g. rate(5 minutes)"
    value, unit = int(rate.group(1)), rate.group(2)
    if value < 1:
        return "a rate's value must be a positive whole number"
    if value == 1 and unit.endswith("s"):
        return f"a rate of 1 takes the singular unit: rate(1 {unit[:-1]})"
    if value > 1 and not unit.endswith("s"):
        return f"a rate of {value} takes the plural unit: rate({value} {unit}s)"
    return None


def _cron_problem(body: str) -> str | None:
    values = body.split(" ")
    if len(values) != len(_FIELDS) or not all(values):
        return f"cron takes six fields separated by single spaces ({CRON_FIELDS}), got {body!r}"
    for field, value in zip(_FIELDS, values, strict=True):
        problem = _field_problem(field, value)
        if problem:
            return f"cron {field.name} field {value!r}: {problem}"
    day_of_month, day_of_week = values[2], values[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (
            "cron needs ? in exactly one of day-of-month and day-of-week (they cannot both be set, "
            "nor both be *), e.g. cron(0/5 * * * ? *)"
        )
    return None


def _field_problem(field: _Field, value: str) -> str | None:
    if value == "?":
        return None if field.question_mark else "? is only allowed in day-of-month and day-of-week"
    if field is _DAY_OF_WEEK and "#" in value:
        return _nth_weekday_problem(value)
    for item in value.split(","):
        problem = _item_problem(field, item)
        if problem:
            return problem
    return None


def _item_problem(field: _Field, item: str) -> str | None:
    if field is _DAY_OF_MONTH and item == "L":
        return None
    if field is _DAY_OF_MONTH and item.endswith("W"):
        return _value_problem(field, item[:-1], allow_names=False)
    if field is _DAY_OF_WEEK and item.endswith("L"):
        return None if item == "L" else _value_problem(field, item[:-1])
    base, slash, step = item.partition("/")
    if slash:
        if not field.slash:
            return "/ (increments) is not allowed in this field"
        if not _NUMBER.fullmatch(step) or not 1 <= int(step) <= field.high:
            return f"the increment after / must be a whole number from 1 to {field.high}"
    if base == "*":
        return None
    start, dash, end = base.partition("-")
    problem = _value_problem(field, start)
    if problem or not dash:
        return problem
    return _value_problem(field, end)


def _nth_weekday_problem(value: str) -> str | None:
    weekday, _, nth = value.partition("#")
    if "," in value:
        return "a # expression must stand alone in day-of-week (no list)"
    if not _NUMBER.fullmatch(nth) or not 1 <= int(nth) <= 5:
        return "the number after # is the week of the month, 1 to 5"
    return _value_problem(_DAY_OF_WEEK, weekday)


def _value_problem(field: _Field, value: str, *, allow_names: bool = True) -> str | None:
    if allow_names and value.upper() in field.names:
        return None
    if _NUMBER.fullmatch(value) and field.low <= int(value) <= field.high:
        return None
    allowed = f"{field.low}-{field.high}"
    if allow_names and field.names:
        allowed += f" or {field.names[0]}-{field.names[-1]}"
    return f"{value!r} is not a value of this field ({allowed})"
