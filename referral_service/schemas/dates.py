"""The validator each date field of a request body carries: its kind's range (workflows/date_ranges.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from marshmallow import ValidationError

from config.settings import BaseConfig
from referral_service.workflows.date_ranges import DateKind, DateRanges, date_refusal


def current_ranges() -> DateRanges:
    """Today by the service's clock and the ranges from its settings; outside an app (a form parsed in a unit
    test), today in Norway and the settings' defaults."""
    from referral_service.bootstrap import EXTENSION, dependencies  # the composition root imports the schemas

    if has_app_context() and EXTENSION in current_app.extensions:
        deps = dependencies(current_app)
        return DateRanges(today=deps.clock.today(), horizon_days=int(deps.config.DATE_HORIZON_DAYS),
                          lookback_days=int(deps.config.DATE_LOOKBACK_DAYS))
    return DateRanges(today=datetime.now(ZoneInfo(BaseConfig.TIMEZONE)).date(),
                      horizon_days=BaseConfig.DATE_HORIZON_DAYS, lookback_days=BaseConfig.DATE_LOOKBACK_DAYS)


def within(kind: DateKind) -> Callable[[date], None]:
    """A marshmallow validator: the day must lie in its kind's range today."""

    def check(day: date) -> None:
        refusal = date_refusal(kind, day, current_ranges())
        if refusal is not None:
            raise ValidationError(refusal)

    return check
