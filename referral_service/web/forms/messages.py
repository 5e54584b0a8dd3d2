"""What the web says, in Norwegian, when a form's value is refused: one place for every form.

The verdict comes from the API's own schemas and the services (so the UI accepts exactly what the API
accepts); this module only finds the words. It reads why a value failed from the field's declaration
and the value itself, or from the code of a domain `Reason`, never from an English message's text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from referral_service.domain.national_id import BIRTH_DATE_CODES
from referral_service.errors import Reason
from referral_service.schemas.common import MUNICIPALITY_NUMBER
from referral_service.workflows import age_range

DATE_HINT = "Skriv datoen som dd.mm.åååå, for eksempel 17.03.2027."
NOT_AN_OPTION = "Velg et av alternativene i listen."
NOT_ACCEPTED = "Dette ble ikke godtatt. Se over og prøv igjen."
CHECK_FIELD = "Sjekk det du har skrevet her."
FILL_IN = "Dette feltet må fylles ut."
EMAIL = "Skriv en gyldig e-postadresse, for eksempel navn@eksempel.no."
MUNICIPALITY = "Kommunenummeret må ha fire sifre, for eksempel 4601 for Bergen."
NATIONAL_ID_INVALID = "Fødselsnummeret er ikke gyldig: {reason}"


def too_long(limit: int) -> str:
    return f"Teksten er for lang. Den kan ha høyst {limit:,} tegn.".replace(",", " ")


#: The domain's reasons (errors.Reason codes), in Norwegian.
REASONS: dict[str, str] = {
    # domain/national_id.py
    "length": "Fødselsnummeret må bestå av elleve sifre.",
    "checksum": "Kontrollsifrene stemmer ikke.",
    "birth_date": "Fødselsdatoen i nummeret finnes ikke.",
    "individual_number": "Individnummeret passer ikke med fødselsåret.",
    "future_birth_date": "Fødselsdatoen i nummeret er fram i tid.",
    "synthetic_not_allowed": "Syntetiske testnumre er ikke tillatt her.",
    "unsupported": "Denne typen identitetsnummer støttes ikke.",
    "birth_date_required": "Nummeret viser ikke fødselsdatoen. Skriv barnets fødselsdato slik den er registrert.",
    "birth_date_conflict": "Fødselsdatoen stemmer ikke med fødselsdatoen i nummeret.",
    # workflows/completeness.py
    "guardians_missing": "Foresatte er ikke oppgitt.",
    "reasons_missing": "Henvisningsgrunn er ikke valgt.",
    "description_too_short": "Beskrivelsen av vanskene er for kort.",
    "measures_tried_missing": "Det står ikke hva som er prøvd i kommunen.",
    "child_view_missing": "Barnets stemme mangler.",
    "home_municipality_unknown": "Kommunenummeret finnes ikke i kommuneregisteret. Velg kommunen barnet bor i.",
    # workflows/age_range.py
    "birth_date_in_future": "Fødselsdatoen er fram i tid.",
    "age_outside_service": (f"Tjenesten gjelder barn og unge fra {age_range.YOUNGEST_AGE} til og med "
                            f"{age_range.OLDEST_AGE} år. Sjekk fødselsdatoen."),
    # domain/municipalities.py
    "municipality_unknown": "Finner ingen kommune med dette nummeret. Velg kommunen barnet bor i fra listen.",
    "municipality_split": "Kommunenummeret er delt mellom flere kommuner. Velg kommunen barnet bor i nå.",
    # workflows/consent.py
    "consent_missing": "Det mangler samtykke.",
    "young_person_must_consent": "Fra 16 år må ungdommen selv samtykke.",
    "guardians_must_consent": "Under 16 år må foresatte (eller barnevernet) samtykke.",
    "must_share_with_bup": "Samtykket må omfatte deling med BUP.",
    "must_share_with_referrer": "Samtykket må omfatte deling med henviseren selv (skole/PPT).",
    "withholding_only_from_12_to_16": "Bare barn fra 12 til 16 år kan be om at foresatte ikke får informasjon.",
    # schemas/handovers.py
    "assignee_or_service": "Velg én person, eller skriv navnet på én tjeneste.",
    # workflows/date_ranges.py
    "date_in_future": "Datoen kan ikke være fram i tid.",
    "date_beyond_horizon": "Datoen er for langt fram i tid. Sjekk årstallet.",
    "date_too_early": "Datoen er for langt tilbake i tid. Sjekk årstallet.",
}

def reason_text(message: str) -> str | None:
    """A domain reason in Norwegian; None for a message that carries no code we know."""
    code = getattr(message, "code", None)
    return REASONS.get(code) if isinstance(message, Reason) and code else None


def national_id_message(code: str) -> str:
    """Why the identity number was refused, after the common lead; the reason never holds the number. What is
    about the birth date given with it is said as it is (it stands beside the birth date)."""
    if code in BIRTH_DATE_CODES:
        return REASONS[code]
    reason = REASONS.get(code, REASONS["unsupported"])
    return NATIONAL_ID_INVALID.format(reason=reason[:1].lower() + reason[1:])


def _empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def explain(field: fields.Field | None, value: Any, message: str, *, missing: str, refused: str) -> str:
    """Why `value` failed this field, in Norwegian: a domain reason by its code, an empty required field, a
    broken validator of the field's own, or else what the form says when a value is refused."""
    if (text := reason_text(message)) is not None:
        return text
    if _empty(value):
        return missing
    for validator in (field.validators if field is not None else ()):
        if isinstance(validator, validate.Length) and validator.max is not None and len(value) > validator.max:
            return too_long(validator.max)
        if isinstance(validator, validate.OneOf) and value not in validator.choices:
            return NOT_AN_OPTION
        if validator is MUNICIPALITY_NUMBER:
            return MUNICIPALITY
    if isinstance(field, fields.Email):
        return EMAIL
    if isinstance(field, fields.Date):
        return DATE_HINT
    return refused


def schema_errors(schema: Schema, data: Mapping[str, Any], messages: Any, *,
                  missing_for: Callable[[str], str], refused_for: Callable[[str], str]) -> dict[str, list[str]]:
    """A schema's refusal of `data`, in Norwegian by dotted path ("child.guardians.0.email"); each field told
    one thing (an empty field only that it is empty)."""
    out: dict[str, list[str]] = {}
    for path, field_messages in flatten(messages).items():
        field, value = _field_and_value(schema, data, path)
        words = [explain(field, value, message, missing=missing_for(path), refused=refused_for(path))
                 for message in field_messages]
        out[path] = list(dict.fromkeys(words))[:1] if _empty(value) else list(dict.fromkeys(words))
    return out


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"child.guardians.0.email": [...]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix: list(messages)}
    return {prefix: [str(messages)]}


def _field_and_value(schema: Schema, data: Any, path: str) -> tuple[fields.Field | None, Any]:
    """The schema field a dotted path names, and the value posted there (None where it is missing)."""
    field: fields.Field | None = None
    fields_here: Mapping[str, fields.Field] | None = schema.fields
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)] if part.isdigit() and int(part) < len(data) else None
            field = field.inner if isinstance(field, fields.List) else field
        else:
            data = data.get(part) if isinstance(data, Mapping) else None
            field = (fields_here or {}).get(part)
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            fields_here = field.inner.schema.fields
        elif isinstance(field, fields.Nested):
            fields_here = field.schema.fields
    if isinstance(field, fields.List) and not isinstance(data, list):
        field = field.inner  # a message about one item of a list of plain values
    return field, data
