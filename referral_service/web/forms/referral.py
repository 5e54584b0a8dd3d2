"""The referral form in six steps: what each step posts, read into the data the referral services take,
with Norwegian messages beside the fields.

Shape checks come from the API's own schemas (so the UI accepts exactly what the API accepts) and the
identity number from the domain's validator; web/forms/messages.py puts their verdicts into Norwegian. The
rules of the referral (what BUP will miss, who may send) stay in the services.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from referral_service.domain.national_id import BIRTH_DATE_CODES, InvalidNationalId
from referral_service.schemas.referrals import ReferralIn, ReferralPatch
from referral_service.security.identity_numbers import IdentityNumbers
from referral_service.services.views import ChildDetails, ReferralView
from referral_service.web.forms.dates import iso_date, typed_date
from referral_service.web.forms.messages import (
    CHECK_FIELD,
    FILL_IN,
    REASONS,
    national_id_message,
    reason_text,
    schema_errors,
)
from referral_service.workflows import completeness
from referral_service.workflows import consent as consent_rules
from referral_service.workflows.completeness import Missing


@dataclass(frozen=True)
class Step:
    number: int
    title: str  # in the list of steps and the page title
    heading: str  # the step's own heading


STEPS = (
    Step(1, "Barnet", "Om barnet"),
    Step(2, "Hvorfor", "Hvorfor henvises barnet?"),
    Step(3, "Barnets stemme", "Barnets stemme"),
    Step(4, "Samtykke", "Samtykke"),
    Step(5, "Laget rundt barnet", "Laget rundt barnet"),
    Step(6, "Se over og send", "Se over og send"),
)
LAST_STEP = len(STEPS)

#: The step that asks for a field, by the field's first part (for links from "BUP vil mangle").
STEP_OF_FIELD = {"child": 1, "clinic_id": 1, "reasons": 2, "description": 2, "urgency": 2, "measures_tried": 2,
                 "child_view": 3, "consent": 4, "municipal_contacts": 5, "co_referrer": 5,
                 "interpreter": 2, "child_welfare": 5}

#: Multi-valued inputs (checkbox groups).
LIST_FIELDS = ("reasons", "consent.given_by", "consent.share_with")
#: Empty rows shown so that people can add one more without JavaScript.
MIN_GUARDIAN_ROWS = 2
MIN_CONTACT_ROWS = 2
GUARDIAN_FIELDS = ("name", "phone", "email", "national_id")
#: A guardian's identity number on the page (never shown again once saved: services/referrals/guardian_identities).
GUARDIAN_NUMBER_INVALID = ("Fødselsnummeret til den foresatte er ikke gyldig. Sjekk at du har skrevet alle 11 "
                           "sifrene riktig, eller la feltet stå tomt.")
CONTACT_FIELDS = ("role", "name", "organisation_id")
CHECKED = "ja"

# The rules' own numbers, for the hints on the page (the rules live in workflows/).
MIN_DESCRIPTION_LENGTH = completeness.MIN_DESCRIPTION_LENGTH
AGE_CHILD_IS_HEARD = consent_rules.AGE_CHILD_IS_HEARD
AGE_MAY_WITHHOLD_FROM_GUARDIANS = consent_rules.AGE_MAY_WITHHOLD_FROM_GUARDIANS
AGE_OF_CONSENT = consent_rules.AGE_OF_CONSENT

# The buttons: one name, one value each.
BUTTON = "handling"
NEXT, SAVE, PREVIOUS, SUBMIT = "neste", "lagre", "forrige", "send"

NATIONAL_ID = "child.national_id"
BIRTH_DATE = "child.birth_date"
NATIONAL_ID_MISSING = "Skriv barnets fødselsnummer eller D-nummer."

#: What to say when a required field is empty, by field (row numbers as *).
REQUIRED = {
    "child.given_name": "Skriv barnets fornavn.",
    "child.family_name": "Skriv barnets etternavn.",
    "child.home_municipality": "Skriv kommunenummeret der barnet bor (fire sifre).",
    "child.guardians.*.name": "Skriv navnet på den foresatte.",
    "clinic_id": "Velg hvilken BUP-poliklinikk henvisningen skal til.",
    "municipal_contacts.*.role": "Skriv rollen til kontaktpersonen, for eksempel lærer.",
    "municipal_contacts.*.name": "Skriv navnet på kontaktpersonen.",
    "child_welfare.basis": "Velg hvorfor barnevernstjenesten får opplysninger: samtykke eller opplysningsplikt.",
}
#: What to say when a service refuses a value, by field (row numbers as *).
REFUSED = {
    "clinic_id": "Velg en BUP-poliklinikk fra listen.",
    "municipal_contacts.*.organisation_id": "Velg en virksomhet fra listen.",
    "co_referrer": "Velg en virksomhet fra listen.",
    "Idempotency-Key": "Skjemaet er allerede sendt. Åpne utkastet fra «Mine henvisninger».",
    "interpreter.language": "Kryss av for tolk og velg et språk fra listen, eller la begge stå tomme.",
    "child_welfare.organisation_id": "Velg en barnevernstjeneste fra listen.",
    "child_welfare.basis": "Samtykket omfatter ikke deling med barnevernstjenesten. Kryss av for det i steg 4, "
                           "eller velg opplysningsplikt.",
}


@dataclass
class ParsedStep:
    """A posted step: the service's data, what was typed, and the errors beside the fields."""

    data: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: Step 1 of a saved draft with the number left empty: the registered number is kept.
    keep_national_id: bool = False
    #: Step 5: the organisation to invite as medhenviser.
    invite_organisation_id: str | None = None
    #: What the step posted before the schema loaded it, and the schema (for saving the valid part of it).
    raw: dict[str, Any] = field(default_factory=dict)
    schema: Schema | None = None
    #: The page's row number of each filled row of a repeated group, in the order the data lists them.
    rows: dict[str, list[int]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class MissingLink:
    """One thing BUP will miss, and where in the form it is filled in."""

    message: str
    step: int
    field_name: str
    blocking: bool = True


def step_of(field_name: str) -> int:
    return STEP_OF_FIELD.get(field_name.split(".")[0], 1)


def missing_links(missing: list[Missing]) -> list[MissingLink]:
    """The completeness check's items, in Norwegian, each with the step that asks for it."""
    return [MissingLink(REASONS[item.code], step_of(item.field), item.field, item.blocking) for item in missing]


def missing_from_refusal(errors: Mapping[str, list[str]] | None) -> list[MissingLink]:
    """A refused submit's errors (the completeness check's reasons by field), in Norwegian."""
    return [MissingLink(reason_text(message) or CHECK_FIELD, step_of(name), name)
            for name, messages in (errors or {}).items() for message in messages]


# ---- reading what was posted -------------------------------------------------------------------------

def posted_values(form: MultiDict) -> dict[str, Any]:
    """What was typed, to show again: lists for checkbox groups, text for the rest."""
    values: dict[str, Any] = {name: form.get(name, "") for name in form if name not in LIST_FIELDS}
    for name in LIST_FIELDS:
        values[name] = form.getlist(name)
    values.pop("csrf_token", None)
    return values


def _text(form: MultiDict, name: str) -> str:
    return form.get(name, "").strip()


def _rows(form: MultiDict, prefix: str, names: tuple[str, ...]) -> list[tuple[int, dict[str, str | None]]]:
    """The filled-in rows of a repeated group, with their row numbers on the page."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.(\w+)$")
    numbers = sorted({int(m.group(1)) for name in form if (m := pattern.match(name))})
    rows = []
    for number in numbers:
        row = {name: _text(form, f"{prefix}.{number}.{name}") or None for name in names}
        if any(row.values()):
            rows.append((number, row))
    return rows


def parse_step(step: int, form: MultiDict, *, identity: IdentityNumbers, creating: bool) -> ParsedStep:
    """Read one step's fields into the service's data; errors in Norwegian by field name."""
    parsed = ParsedStep(values=posted_values(form))
    row_numbers = parsed.rows
    if step == 1:
        parsed.data, row_numbers["child.guardians"] = _child_data(form, parsed, identity=identity, creating=creating)
        schema: Schema = ReferralIn(only=("child", "clinic_id"))
    elif step == 2:
        parsed.data = {"reasons": form.getlist("reasons"), "description": _text(form, "description"),
                       "urgency": _text(form, "urgency") or "normal",
                       "measures_tried": _text(form, "measures_tried"),
                       "interpreter": {"needed": form.get("interpreter.needed") == CHECKED,
                                       "language": _text(form, "interpreter.language") or None}}
        schema = ReferralPatch(only=tuple(parsed.data))
    elif step == 3:
        parsed.data = {"child_view": _text(form, "child_view")}
        schema = ReferralPatch(only=tuple(parsed.data))
    elif step == 4:
        parsed.data = {"consent": {
            "given_by": form.getlist("consent.given_by"), "share_with": form.getlist("consent.share_with"),
            "recorded_on": iso_date(_text(form, "consent.recorded_on")) or None,
            "withhold_from_guardians": form.get("consent.withhold_from_guardians") == CHECKED}}
        schema = ReferralPatch(only=tuple(parsed.data))
    elif step == 5:
        rows = _rows(form, "municipal_contacts", CONTACT_FIELDS)
        row_numbers["municipal_contacts"] = [number for number, _ in rows]
        parsed.data = {"municipal_contacts": [row for _, row in rows], "child_welfare": _child_welfare(form)}
        parsed.invite_organisation_id = _text(form, "co_referrer") or None
        schema = ReferralPatch(only=tuple(parsed.data))
    else:
        return parsed
    partial = (NATIONAL_ID,) if parsed.keep_national_id else ()
    parsed.raw, parsed.schema = copy.deepcopy(parsed.data), schema
    try:
        parsed.data = schema.load(parsed.data, partial=partial)
    except ValidationError as exc:
        for name, messages in _in_norwegian(schema, parsed.data, exc.messages).items():
            if name != NATIONAL_ID:  # the domain's validator has said it better (a guardian's number's too)
                parsed.errors.setdefault(_page_row(name, row_numbers), messages)
    return parsed


def _child_welfare(form: MultiDict) -> dict[str, str] | None:
    """The child welfare partner chosen on step 5 (None: no partner); a missing basis is refused beside it."""
    organisation_id = _text(form, "child_welfare.organisation_id")
    if not organisation_id:
        return None
    partner = {"organisation_id": organisation_id}
    if _text(form, "child_welfare.basis"):
        partner["basis"] = _text(form, "child_welfare.basis")
    return partner


def _child_data(form: MultiDict, parsed: ParsedStep, *, identity: IdentityNumbers,
                creating: bool) -> tuple[dict[str, Any], list[int]]:
    number = "".join(form.get(NATIONAL_ID, "").split())
    child: dict[str, Any] = {"given_name": _text(form, "child.given_name"),
                             "family_name": _text(form, "child.family_name"),
                             "home_municipality": _text(form, "child.home_municipality")}
    typed_birth_date = _text(form, BIRTH_DATE)
    if typed_birth_date:
        child["birth_date"] = iso_date(typed_birth_date)  # the schema refuses what is no date
    if number:
        child["national_id"] = number
        try:
            identity.parse(number, birth_date=typed_date(typed_birth_date))
        except InvalidNationalId as exc:
            # A birth date typed but not a date is the schema's to say; the number's fault is said beside it.
            if exc.code not in BIRTH_DATE_CODES:
                parsed.errors[NATIONAL_ID] = [national_id_message(exc.code)]
            elif not typed_birth_date or typed_date(typed_birth_date) is not None:
                parsed.errors[BIRTH_DATE] = [national_id_message(exc.code)]
    elif creating:
        parsed.errors[NATIONAL_ID] = [NATIONAL_ID_MISSING]
    else:
        parsed.keep_national_id = True
    rows = _guardian_rows(form, parsed, identity=identity)
    child["guardians"] = [row for _, row in rows]
    data: dict[str, Any] = {"child": child}
    if _text(form, "clinic_id"):
        data["clinic_id"] = _text(form, "clinic_id")
    return data, [number for number, _ in rows]


def _guardian_rows(form: MultiDict, parsed: ParsedStep, *,
                   identity: IdentityNumbers) -> list[tuple[int, dict[str, str | None]]]:
    """The guardians filled in, each number checked beside its field (the reason only: the page never says more)."""
    rows = _rows(form, "child.guardians", GUARDIAN_FIELDS)
    for number_on_page, row in rows:
        row["national_id"] = "".join((row.get("national_id") or "").split()) or None
        if row["national_id"]:
            try:
                identity.parse(row["national_id"])
            except InvalidNationalId:
                parsed.errors[f"child.guardians.{number_on_page}.national_id"] = [GUARDIAN_NUMBER_INVALID]
    return rows


# ---- errors in Norwegian -----------------------------------------------------------------------------

def _page_row(name: str, row_numbers: Mapping[str, list[int]]) -> str:
    """Empty rows are skipped; point an error at the row on the page, not at the n-th filled row."""
    for prefix, numbers in row_numbers.items():
        match = re.match(rf"^{re.escape(prefix)}\.(\d+)(\..*)?$", name)
        if match and int(match.group(1)) < len(numbers):
            return f"{prefix}.{numbers[int(match.group(1))]}{match.group(2) or ''}"
    return name


def _pattern(name: str) -> str:
    return re.sub(r"\.\d+(?=\.|$)", ".*", name)


def _in_norwegian(schema: Schema, data: Mapping[str, Any], messages: Any) -> dict[str, list[str]]:
    return schema_errors(schema, data, messages, refused_for=lambda _name: CHECK_FIELD,
                         missing_for=lambda name: REQUIRED.get(_pattern(name), FILL_IN))


def refusal_errors(errors: Mapping[str, list[str]] | None, *, field_names: Mapping[str, str] | None = None
                   ) -> dict[str, list[str]]:
    """A service's refusal beside the fields, in Norwegian: its reasons by their codes, else what the form says
    when that field is refused.

    `field_names` renames the service's keys to the page's field names where they differ.
    """
    out: dict[str, list[str]] = {}
    for key, messages in (errors or {}).items():
        name = (field_names or {}).get(key, key)
        if name == NATIONAL_ID:
            out[name] = [national_id_message(getattr(m, "code", "")) for m in messages]
        else:
            out[name] = list(dict.fromkeys(reason_text(m) or REFUSED.get(_pattern(name), CHECK_FIELD)
                                           for m in messages)) or [CHECK_FIELD]
    return out or {"_form": [CHECK_FIELD]}


# ---- "Lagre utkast" with what is valid ----------------------------------------------------------------

#: The parts of a step that are saved or left out whole, as the page names them.
PART_NAMES = {
    "child": "barnet", "child.national_id": "fødselsnummeret", "child.birth_date": "fødselsdatoen",
    "child.given_name": "barnets fornavn", "child.family_name": "barnets etternavn",
    "child.home_municipality": "kommunen der barnet bor", "child.guardians": "de foresatte",
    "clinic_id": "BUP-poliklinikken", "reasons": "årsakene", "description": "beskrivelsen",
    "urgency": "hvor mye det haster", "measures_tried": "det som er prøvd", "interpreter": "tolken",
    "child_view": "barnets stemme", "consent": "samtykket", "municipal_contacts": "kontaktpersonene",
    "child_welfare": "barnevernstjenesten", "co_referrer": "medhenviseren",
}
#: A row of a repeated group, by its group.
ROW_NAMES = {"child.guardians": "foresatt {n}", "municipal_contacts": "kontaktperson {n}"}
#: A new draft is not made without the child it is about and the clinic it goes to.
NEEDED_TO_CREATE = ("child", "child.national_id", "child.given_name", "child.family_name", "child.home_municipality",
                    "clinic_id")
#: The child's fields step 1 always sends; a saved draft keeps its own value for one that was refused.
CHILD_KEPT = ("given_name", "family_name", "home_municipality", "guardians")


@dataclass(frozen=True)
class DraftPart:
    """What "Lagre utkast" can save of a step with errors (None: nothing), and the parts it leaves out."""

    parsed: ParsedStep | None
    left_out: list[str]


def part_of(field_name: str) -> str:
    """The part of the form a field belongs to: a row of a repeated group, one of the child's fields, or a
    top-level field."""
    for group in ROW_NAMES:
        if match := re.match(rf"^{re.escape(group)}\.\d+", field_name):
            return match.group(0)
    names = field_name.split(".")
    return ".".join(names[:2]) if names[0] == "child" and len(names) > 1 else names[0]


def _part_name(part: str) -> str:
    group, _, row = part.rpartition(".")
    if group in ROW_NAMES and row.isdigit():
        return ROW_NAMES[group].format(n=int(row) + 1)
    return PART_NAMES.get(part, part)


def _without_rows(parsed: ParsedStep, data: dict[str, Any], parts: list[str]) -> list[str]:
    """Leave the refused rows of the repeated groups out of `data`; the parts that are not rows are returned."""
    rest = []
    for part in parts:
        group, _, row = part.rpartition(".")
        if group not in ROW_NAMES or not row.isdigit():
            rest.append(part)
    for group in ROW_NAMES:
        refused = {int(p.rpartition(".")[2]) for p in parts if p.rpartition(".")[0] == group}
        holder, key = (data.get("child"), "guardians") if group == "child.guardians" else (data, group)
        if refused and holder is not None and isinstance(holder.get(key), list):
            numbers = parsed.rows.get(group, [])
            holder[key] = [row for i, row in enumerate(holder[key])
                           if i >= len(numbers) or numbers[i] not in refused]
    return rest


def valid_part(parsed: ParsedStep, *, current: ChildDetails | None) -> DraftPart:
    """The step without the parts that have errors. A new draft (`current` None) needs the child and the clinic;
    a saved draft keeps its own value of a field it always needs."""
    parts = list(dict.fromkeys(part_of(name) for name in parsed.errors))
    left_out = [_part_name(part) for part in parts if part != "_form"]
    if parsed.schema is None or "_form" in parts or (current is None and set(parts) & set(NEEDED_TO_CREATE)):
        return DraftPart(None, left_out)
    data, keep_national_id, dropped = copy.deepcopy(parsed.raw), parsed.keep_national_id, []
    for part in _without_rows(parsed, data, parts):
        name = part.removeprefix("child.")
        if name == part or "child" not in data:
            data.pop(part, None)
            dropped.append(part)
            continue
        data["child"].pop(name, None)
        keep_national_id = keep_national_id or name == "national_id"
        if name in CHILD_KEPT:
            data["child"][name] = getattr(current, name) if current is not None else []
    if not data:
        return DraftPart(None, left_out)
    try:
        loaded = parsed.schema.load(data, partial=(*dropped, *((NATIONAL_ID,) if keep_national_id else ())))
    except ValidationError:
        return DraftPart(None, left_out)
    return DraftPart(ParsedStep(data=loaded, values=parsed.values, keep_national_id=keep_national_id,
                                invite_organisation_id=parsed.invite_organisation_id), left_out)


def shown_after_saving(parsed: ParsedStep) -> dict[str, Any]:
    """What the page shows after "Lagre utkast" saved part of a step: what was typed, except a number it saved
    (a saved draft never puts the child's or a guardian's identity number back on the page)."""
    return {name: value for name, value in parsed.values.items()
            if not _an_identity_number(name) or name in parsed.errors}


def _an_identity_number(name: str) -> bool:
    """The child's number, or a guardian's (`child.guardians.<n>.national_id`)."""
    return name == NATIONAL_ID or (name.startswith("child.guardians.") and name.endswith(".national_id"))


def in_words(parts: list[str]) -> str:
    """ "a, b og c" """
    return " og ".join(filter(None, (", ".join(parts[:-1]), parts[-1]))) if parts else ""


# ---- what a saved draft holds, as the form shows it --------------------------------------------------

def values_from_view(view: ReferralView) -> dict[str, Any]:
    """A saved draft as the form's values (the identity number is never put back on the page)."""
    r, child, consent = view.referral, view.child, view.consent
    values: dict[str, Any] = {
        "child.given_name": child.given_name, "child.family_name": child.family_name,
        "child.home_municipality": child.home_municipality, "clinic_id": r.clinic_id,
        "reasons": list(r.reasons), "description": r.description, "urgency": r.urgency,
        "measures_tried": r.measures_tried, "child_view": r.child_view,
        "consent.given_by": list(consent.given_by) if consent else [],
        "consent.share_with": list(consent.share_with) if consent else [],
        "consent.recorded_on": f"{consent.recorded_on:%d.%m.%Y}" if consent and consent.recorded_on else "",
        "consent.withhold_from_guardians": CHECKED if consent and consent.withhold_from_guardians else "",
        "interpreter.needed": CHECKED if r.interpreter_needed else "",
        "interpreter.language": r.interpreter_language or "",
        "child_welfare.organisation_id": r.child_welfare_org_id or "",
        "child_welfare.basis": r.child_welfare_basis or "",
    }
    for i, guardian in enumerate(child.guardians or []):
        for name in GUARDIAN_FIELDS:  # the number is never among them: it is not shown again
            values[f"child.guardians.{i}.{name}"] = guardian.get(name) or ""
    for i, contact in enumerate(view.municipal_contacts):
        for name in CONTACT_FIELDS:
            values[f"municipal_contacts.{i}.{name}"] = getattr(contact, name) or ""
    return values


def row_count(values: Mapping[str, Any], prefix: str, *, minimum: int) -> int:
    """Rows to show: every row with something in it, one empty row more, and never fewer than `minimum`."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.")
    filled = [int(m.group(1)) for name, value in values.items() if value and (m := pattern.match(name))]
    return max(minimum, (max(filled) + 2) if filled else 0)
