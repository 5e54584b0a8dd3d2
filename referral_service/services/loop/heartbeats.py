"""The background processes' heartbeats: stamped by each worker and scheduler, read by /ready and /metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from referral_service.db import Database, insert_with_on_conflict
from referral_service.domain.heartbeat import Component, ServiceHeartbeat, component_of

#: A process not heard from for this long has gone for good (a replaced container): its row is removed, so the
#: table holds the processes of about a week, never every host name ever used.
FORGET_AFTER = timedelta(days=7)


def record_heartbeat(database: Database, *, name: str, at: datetime) -> None:
    """Stamp `name`'s row with `at` (one statement, its own transaction) and forget long-gone processes."""
    table = ServiceHeartbeat.__table__
    with database.session() as session:
        dialect = session.get_bind().dialect.name
        upsert = insert_with_on_conflict(dialect, table).values(name=name, at=at)
        session.execute(upsert.on_conflict_do_update(index_elements=["name"], set_={"at": upsert.excluded.at}))
        session.execute(delete(ServiceHeartbeat).where(ServiceHeartbeat.at < at - FORGET_AFTER))
        session.commit()


def newest_heartbeats(session: Session) -> dict[Component, datetime]:
    """The newest heartbeat of each kind of process (the table holds one small row per process)."""
    newest: dict[Component, datetime] = {}
    for name, at in session.exec(select(ServiceHeartbeat.name, ServiceHeartbeat.at)).all():
        component = component_of(name)
        if component is not None and (component not in newest or at > newest[component]):
            newest[component] = at
    return newest


def heartbeat_ages(session: Session, now: datetime) -> dict[Component, float | None]:
    """Seconds since each kind of process was last heard from; None when none ever was."""
    newest = newest_heartbeats(session)
    return {component: (max(0.0, (now - newest[component]).total_seconds()) if component in newest else None)
            for component in Component}


def silent_components(ages: dict[Component, float | None], *, max_age: float) -> dict[Component, str]:
    """Each kind of process whose newest heartbeat is missing or older than `max_age` seconds, with why."""
    return {component: "missing" if age is None else "stale"
            for component, age in ages.items() if age is None or age > max_age}
