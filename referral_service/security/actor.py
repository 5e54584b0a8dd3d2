"""The authenticated user as the services see it."""

from __future__ import annotations

from dataclasses import dataclass

from referral_service.domain.enums import Role


@dataclass(frozen=True)
class Actor:
    user_id: str
    organisation_id: str
    organisation_kind: str
    municipality_number: str | None
    roles: frozenset[str]
    profession: str
    name: str = ""

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def primary_role(self) -> str:
        """The role named in the access log: the first of the user's roles in a fixed order (a family member's
        role, e.g. "guardian", which is none of the staff's)."""
        for role in Role:
            if role.value in self.roles:
                return role.value
        return min(self.roles, default="none")
