"""What the staff see from the family side on the referral page and the handover page: the young person's own words
("Barnets egne ord fra familiesiden", newest first) and the family's "Vi har ikke hørt noe" calls, with whether this
reader may mark them answered. Within need-to-know: the referral as the reader may see it, or the task as the reader
may see it (for the municipality, only while the consent shares the referral with it). Reading the words is logged."""

from __future__ import annotations

from dataclasses import dataclass, field

from referral_service.domain.family import FamilyNudge, FamilyVoice
from referral_service.domain.referral import Referral
from referral_service.errors import NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.family.nudges import may_answer, nudges_for_staff
from referral_service.services.family.voice import words_of
from referral_service.services.unit_of_work import SqlUnitOfWork

#: The access log's action for reading the young person's words.
READ_VOICE = "read_family_voice"


@dataclass
class FamilySide:
    referral_id: str
    voices: list[FamilyVoice] = field(default_factory=list)
    nudges: list[FamilyNudge] = field(default_factory=list)
    #: The reader's organisation is the one to answer the unanswered calls.
    may_answer: bool = False

    @property
    def unanswered(self) -> list[FamilyNudge]:
        return [n for n in self.nudges if n.answered_at is None]


def family_side(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str | None = None,
                handover_id: str | None = None) -> FamilySide | None:
    """The family side of a referral (or of a task's referral) for this reader; None where they may not see it."""
    with uow:
        try:
            referral: Referral = (uow.handovers.get_visible(actor=actor, handover_id=handover_id)[1] if handover_id
                                  else uow.referrals.get_visible(actor=actor, referral_id=referral_id or ""))
        except NotFound:
            return None
        session = uow.session
        side = FamilySide(referral_id=referral.id, voices=words_of(session, referral.id),
                          nudges=nudges_for_staff(session, referral.id))
        side.may_answer = any(may_answer(session, actor, n, referral) for n in side.unanswered)
        if side.voices:
            record_access(session, actor=actor, action=READ_VOICE, referrals=[referral])
        uow.commit()
    return side
