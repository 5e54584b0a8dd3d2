"""Who may take over a colleague's work when the colleague leaves, as a pure rule."""

from __future__ import annotations

from collections.abc import Iterable

from referral_service.domain.enums import Role

#: Roles that only look after the service itself; they hold no child's work.
OVERSIGHT_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


def working_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles in which a person holds tasks and alerts about children."""
    return frozenset(roles) - OVERSIGHT_ROLES


def may_take_over(*, leaver_roles: Iterable[str], successor_roles: Iterable[str]) -> bool:
    """The successor works in one of the leaver's working roles (or, for someone who held no such role, in one of
    the leaver's roles at all)."""
    leaver, successor = frozenset(leaver_roles), frozenset(successor_roles)
    return bool((working_roles(leaver) or leaver) & successor)
