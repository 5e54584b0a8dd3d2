"""Dates, times and deadlines as people read them: dd.mm.åååå, Europe/Oslo, working days left."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from referral_service.workflows.calendar import WorkingDayCalendar

OSLO = ZoneInfo("Europe/Oslo")


def norwegian_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)  # a date kept in a record's JSON content
    if isinstance(value, datetime):
        value = value.astimezone(OSLO).date()
    return f"{value:%d.%m.%Y}"


def norwegian_time(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(OSLO):%d.%m.%Y kl. %H:%M}"


def deadline_text(due: date | None, *, today: date, calendar: WorkingDayCalendar) -> str:
    """ "3 virkedager igjen", "i dag", or "2 virkedager over frist" (UI.md)."""
    if due is None:
        return ""
    if due == today:
        return "Fristen er i dag"
    if due > today:
        left = calendar.working_days_between(today, due)
        return f"{left} virkedag{'er' if left != 1 else ''} igjen"
    over = calendar.working_days_between(due, today)
    return f"{over} virkedag{'er' if over != 1 else ''} over frist"


def working_days_left(due: date | None, *, today: date, calendar: WorkingDayCalendar) -> int | None:
    if due is None:
        return None
    return calendar.working_days_between(today, due) if due >= today else -calendar.working_days_between(due, today)
