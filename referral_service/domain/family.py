"""The family side ("Hvem skal jeg snakke med nå?"): the people who sign in on the family page with ID-porten, their
sessions, the guardians recorded with an identity number, the letters to the child and guardians, the family's
"Vi har ikke hørt noe", the young person's own words, and a 16-year-old's choice to share with the guardians.

A family member is known by the blind index of their identity number only; the number itself is never stored for
someone who signs in, and is kept encrypted for a guardian recorded on a referral (so a key rotation can re-index)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, utcnow


class FamilyPerson(SQLModel, table=True):
    """Someone who signed in on the family page: a child, a young person or a guardian. The access log names them
    by this id (organisation `family`)."""

    __tablename__ = "family_person"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    national_id_index: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_signed_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FamilySession(SQLModel, table=True):
    """A signed-in family browser, kept on the server like the staff's (domain/web_session.py): log-out ends it."""

    __tablename__ = "family_session"

    #: A hash of the random id the browser holds; the id itself is never stored.
    id_hash: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(foreign_key="family_person.id", index=True, max_length=36)
    #: The blind indexes of the person's identity number under every key in use when they signed in (a key rotation
    #: may be half done): the cases they may see are found by these. The number itself is not kept.
    national_id_indexes: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=32)


class GuardianIdentity(SQLModel, table=True):
    """A guardian recorded on a referral together with their identity number: the family page knows them by it.
    `position` is the guardian's place in the referral's `child_guardians` list."""

    __tablename__ = "guardian_identity"
    __table_args__ = (Index("ix_guardian_identity_index_referral", "national_id_index", "referral_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    position: int = 0
    name: str = Field(default="", max_length=200)
    national_id_ciphertext: str = Field(max_length=400)
    national_id_index: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FamilyLetter(SQLModel, table=True):
    """A plain-language letter to the child and guardians at a moment that changes who is responsible. Made as a
    draft by the change itself (once: `trigger_key`), seen by the professional, then sent (an event on the
    referral). `facts` is what the letter says, fixed when it was made (who is responsible, phone, deadlines)."""

    __tablename__ = "family_letter"
    __table_args__ = (Index("ix_family_letter_referral_status", "referral_id", "status", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", max_length=36)
    handover_id: str | None = Field(default=None, foreign_key="handover.id", max_length=36)
    kind: str = Field(max_length=32)
    #: The organisation whose step made the letter: its people see it before it goes, and send it.
    sender_org_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    trigger_key: str = Field(max_length=200, unique=True)
    #: "draft" until the professional sends it, then "sent".
    status: str = Field(default="draft", max_length=16)
    #: "nb" (bokmål) or "nn" (nynorsk).
    language: str = Field(default="nb", max_length=2)
    facts: JSONObject = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    #: Who it went to, by the age rules on the day it was sent (workflows/family_access.py): e.g. ["guardian", "child"].
    audiences: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)


class FamilyNudge(SQLModel, table=True):
    """"Vi har ikke hørt noe": the family asks the owner of the child's case to get in touch. The owner is alerted at
    once; unanswered after FAMILY_NUDGE_ANSWER_WORKING_DAYS, the owner's lead."""

    __tablename__ = "family_nudge"
    __table_args__ = (Index("ix_family_nudge_open", "answered_at", "lead_alerted_at", "raised_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    handover_id: str | None = Field(default=None, foreign_key="handover.id", max_length=36)
    raised_by_person_id: str = Field(foreign_key="family_person.id", max_length=36)
    #: "young_person", "child" or "guardian" (workflows/family_access.FamilyRole).
    raised_as: str = Field(max_length=16)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    owner_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)
    owner_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    lead_alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FamilyVoice(SQLModel, table=True):
    """The young person's own words from the family page ("what I want BUP and the municipality to know"), from 12;
    each addition or correction is a row, the newest first. Shown to the owner of the child's case."""

    __tablename__ = "family_voice"
    __table_args__ = (Index("ix_family_voice_referral_at", "referral_id", "written_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", max_length=36)
    person_id: str = Field(foreign_key="family_person.id", max_length=36)
    text: str = Field(max_length=4_000)
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FamilyShare(SQLModel, table=True):
    """A young person from 16 may let their guardians see their case on the family page (and get the letters)."""

    __tablename__ = "family_share"

    child_id: str = Field(foreign_key="child.id", primary_key=True, max_length=36)
    shared_with_guardians: bool = False
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
