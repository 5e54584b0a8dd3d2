"""Heartbeats of the background processes: each worker and each scheduler (beat) stamps its row every few seconds,
so that /ready and /metrics see a stopped one while the others still run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime


class Component(StrEnum):
    """The kinds of background process that beat their heart; a row's name starts with its kind."""

    WORKER = "worker"
    BEAT = "beat"


class ServiceHeartbeat(SQLModel, table=True):
    """The last sign of life of one process, e.g. 'worker:w1@host' or 'beat:host'."""

    __tablename__ = "service_heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)


def heartbeat_name(component: Component, instance: str) -> str:
    return f"{component}:{instance}"


def component_of(name: str) -> Component | None:
    """The kind of process a heartbeat row belongs to, or None for a name this version does not know."""
    kind = name.split(":", 1)[0]
    return Component(kind) if kind in Component.__members__.values() else None
