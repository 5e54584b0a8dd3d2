"""BUP's decision forms and the municipality's handover forms: what each form shows, and what it posts read
by the API's own body schema for the action, with Norwegian messages beside the fields.

The rules (what date is too early, which clinic may receive) stay in the services and the schemas; this
module only says which inputs a form has and what to call them (web/forms/messages.py finds the words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from marshmallow import Schema, ValidationError

from referral_service.domain.enums import CHOSEN_HANDOVER_OUTCOMES, ReferralAction
from referral_service.errors import InvalidData
from referral_service.schemas.handovers import STEP_BODIES
from referral_service.schemas.referrals import ACTION_BODIES, ContactIn, MoveIn
from referral_service.web import labels
from referral_service.web.forms.dates import iso_date
from referral_service.web.forms.messages import NOT_ACCEPTED, schema_errors
from referral_service.workflows.handover_lifecycle import HandoverAction

PRIORITY = labels.PRIORITY

CHECKED = "ja"
#: What a decision's handover tells the municipality is limited by the consent: said the same way on every form.
WITHIN_CONSENT = "så langt samtykket tillater"


@dataclass(frozen=True)
class Field:
    """One input: its name on the page (unique on the page), its key in the body, and what the page says."""

    name: str
    label: str
    missing: str = ""  # the message when a required field is empty
    key: str = ""  # the body's key; the name when left out
    kind: str = "text"  # text | textarea | date | choice | flag
    description: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # fixed (code, label) pairs for a choice
    rows: int = 4
    refused: str = ""  # what to say, in Norwegian, when the value is refused; NOT_ACCEPTED when left out
    required: bool = False  # read from the body schema; only for showing

    @property
    def body_key(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class ActionForm:
    """A form with one button that performs one action; its body schema is the API's for that action."""

    action: str
    heading: str
    button: str
    done: str  # the confirmation shown after the action
    intro: str = ""
    fields: tuple[Field, ...] = ()
    #: The API schema for a form that is not one lifecycle step (else the action's body is looked up).
    schema: type[Schema] | None = None

    def __post_init__(self) -> None:
        schema = self.body()
        declared = schema.fields if schema is not None else {}
        unknown = [f.body_key for f in self.fields if f.body_key not in declared]
        if unknown:
            raise TypeError(f"{self.action}: the body schema has no field {unknown}")
        object.__setattr__(self, "fields", tuple(
            replace(f, required=declared[f.body_key].required) for f in self.fields))

    def body(self) -> Schema | None:
        body = self.schema or (ACTION_BODIES[self.action] if isinstance(self.action, ReferralAction)
                               else STEP_BODIES[HandoverAction(self.action)])
        return body() if body is not None else None

    def parse(self, posted: Mapping[str, str]) -> FilledForm:
        """Read what was posted: the body the schema loads, what was typed, and Norwegian errors by field."""
        filled = FilledForm(form=self, values={f.name: posted.get(f.name, "") for f in self.fields})
        raw = {f.body_key: value for f in self.fields
               if (value := _raw(f, filled.values[f.name])) is not None}
        schema = self.body()
        if schema is None:
            return filled
        try:
            filled.data = schema.load(raw)
        except ValidationError as exc:
            by_key = {f.body_key: f for f in self.fields}
            words = schema_errors(
                schema, raw, exc.messages,
                missing_for=lambda key: by_key[key].missing or f"Fyll ut «{by_key[key].label}».",
                refused_for=lambda key: by_key[key].refused or NOT_ACCEPTED)
            filled.errors = {by_key[key].name: messages for key, messages in words.items()}
        return filled


@dataclass
class FilledForm:
    form: ActionForm
    values: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def refused(self, error: InvalidData) -> FilledForm:
        """Put a service's refusal (by body key) beside the field, in Norwegian."""
        by_key = {f.body_key: f for f in self.form.fields}
        fallback = self.form.fields[0].name if self.form.fields else "_"
        for key in (error.errors or {"": []}):
            f = by_key.get(key)
            name = f.name if f else fallback
            message = (f.refused if f else "") or NOT_ACCEPTED
            if message not in self.errors.get(name, []):
                self.errors.setdefault(name, []).append(message)
        return self


def _raw(f: Field, typed: str) -> Any:
    """What the schema gets for one input: a flag as a boolean, a typed date as ISO, nothing for an empty field."""
    text = typed.strip()
    if f.kind == "flag":
        return text == CHECKED
    if not text:
        return None
    return iso_date(text) if f.kind == "date" else text


def _pairs(mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(mapping.items())


def _date_field(name: str, what: str, *, refused: str) -> Field:
    """A required date, named by what happens on it: «Dato for første time», «Skriv datoen for første time.»"""
    return Field(name, f"Dato for {what}", kind="date", missing=f"Skriv datoen for {what}.", refused=refused)


# BUP's decisions on "Vurder henvisning", by lifecycle action.
ACCEPT = ActionForm(
    action=ReferralAction.ACCEPT, heading="Gi rett til nødvendig helsehjelp", button="Gi rett til helsehjelp",
    intro="Barnet får rett til helsehjelp i BUP, med en frist for når helsehjelpen skal starte.",
    done="Barnet har fått rett til helsehjelp. Henviser er varslet.",
    fields=(
        Field("care_start_due", "Frist for start av helsehjelp", kind="date",
              missing="Skriv fristen for start av helsehjelp.",
              description="Den juridisk bindende datoen helsehjelpen senest skal starte.",
              refused="Fristen for start av helsehjelp må være etter i dag."),
        Field("priority", "Prioritet", kind="choice", options=_pairs(PRIORITY),
              description="Valgfritt. Alvorlighet etter prioriteringsveilederen."),
    ),
)

REQUEST_INFORMATION = ActionForm(
    action=ReferralAction.REQUEST_INFORMATION, heading="Be henviser om mer informasjon",
    button="Be om mer informasjon",
    intro="Henviser får spørsmålene og kan svare i tjenesten.",
    done="Spørsmålene er sendt til henviser. Vurderingsfristen løper videre.",
    fields=(
        Field("questions", "Spørsmål til henviser", kind="textarea", missing="Skriv hva BUP trenger å vite.",
              description="Skriv hva som mangler for at BUP kan vurdere henvisningen."),
    ),
)

REJECT = ActionForm(
    action=ReferralAction.REJECT, heading="Avslå henvisningen", button="Avslå",
    intro=f"Alle feltene må fylles ut. Kommunen får begrunnelsen og rådene i en tilbakehenvisning, {WITHIN_CONSENT}.",
    done="Henvisningen er avslått. Kommunen får en tilbakehenvisning med begrunnelsen og rådene.",
    fields=(
        Field("reason_code", "Begrunnelse", kind="choice", options=_pairs(labels.REJECTION_REASON),
              missing="Velg en begrunnelse for avslaget."),
        Field("explanation", "Forklaring", kind="textarea", missing="Skriv en forklaring til henviser og familien.",
              description="Forklar avslaget med enkle ord. Henviser og familien leser dette."),
        Field("municipal_advice", "Råd til kommunen", kind="textarea",
              missing="Skriv hva kommunen bør gjøre videre.",
              description="Hva bør kommunen tilby barnet nå? Rådene følger tilbakehenvisningen."),
    ),
)

MUNICIPAL_OUTCOME = ActionForm(
    action=ReferralAction.MUNICIPAL_OUTCOME, heading="Hjelpen hører hjemme i kommunen",
    button="Send til kommunen etter vurderingssamtale",
    intro=f"Etter en vurderingssamtale: barnet trenger hjelp, men den hører hjemme i kommunen. Dette er ikke et "
          f"avslag. Kommunen får forklaringen og rådene i en tilbakehenvisning, {WITHIN_CONSENT}.",
    done="Kommunen får en tilbakehenvisning med rådene fra vurderingssamtalen.",
    fields=(
        _date_field("assessment_conversation_on", "vurderingssamtalen",
                    refused="Vurderingssamtalen kan ikke være etter i dag."),
        Field("mo_explanation", "Hva kom dere fram til", key="explanation", kind="textarea",
              missing="Skriv hva vurderingssamtalen kom fram til.",
              description="Henviser og familien leser dette."),
        Field("mo_municipal_advice", "Hva kommunen bør tilby barnet", key="municipal_advice", kind="textarea",
              missing="Skriv hva kommunen bør tilby barnet.",
              description="Rådene følger tilbakehenvisningen."),
    ),
)

FORWARD = ActionForm(
    action=ReferralAction.FORWARD, heading="Videresend til en annen poliklinikk", button="Videresend",
    intro="Den andre poliklinikken får henvisningen med ny vurderingsfrist.",
    done="Henvisningen er videresendt. Den andre poliklinikken har fått en ny vurderingsfrist.",
    fields=(
        Field("clinic_id", "Send til poliklinikk", kind="choice", missing="Velg poliklinikken henvisningen skal til.",
              refused="Velg en annen BUP-poliklinikk enn den henvisningen er hos nå."),
        Field("forward_reason", "Hvorfor videresendes henvisningen", key="reason", kind="textarea", rows=3,
              missing="Skriv hvorfor henvisningen videresendes."),
    ),
)

TRANSFER_TO_DPS = ActionForm(
    action=ReferralAction.TRANSFER_TO_DPS, heading="Overfør til voksenpsykiatrien (DPS)", button="Overfør til DPS",
    intro="Ungdommen fyller 18 år. DPS får henvisningen med ny vurderingsfrist. Koordinatoren og kontaktene i "
          "kommunen følger ungdommen videre.",
    done="Ungdommen er overført til DPS. DPS har fått henvisningen med en ny vurderingsfrist.",
    fields=(
        Field("dps_clinic_id", "Send til DPS", key="clinic_id", kind="choice",
              missing="Velg DPS-et ungdommen skal overføres til.",
              refused="Velg et DPS (distriktspsykiatrisk senter)."),
        Field("dps_reason", "Hvorfor overføres ungdommen", key="reason", kind="textarea", rows=3,
              missing="Skriv hvorfor ungdommen overføres til DPS.",
              description="DPS, henviser og kontaktene i kommunen leser dette."),
    ),
)

START_TREATMENT = ActionForm(
    action=ReferralAction.START_TREATMENT, heading="Start behandling", button="Start behandling",
    done="Behandlingen er registrert som startet.",
    fields=(_date_field("first_appointment_on", "første time",
                        refused="Første time kan ikke være før BUP mottok henvisningen."),),
)

DISCHARGE = ActionForm(
    action=ReferralAction.DISCHARGE, heading="Skriv ut fra BUP", button="Skriv ut",
    intro=f"Kommunen får en tilbakehenvisning med oppsummeringen og anbefalt oppfølging, {WITHIN_CONSENT}.",
    done="Barnet er skrevet ut. Kommunen får en tilbakehenvisning med anbefalt oppfølging.",
    fields=(
        Field("summary", "Oppsummering", kind="textarea", missing="Skriv en oppsummering av behandlingen."),
        Field("follow_up_recommendations", "Anbefalt oppfølging", kind="textarea",
              missing="Skriv hvilken oppfølging BUP anbefaler.",
              description=f"Følger tilbakehenvisningen til kommunen, {WITHIN_CONSENT}."),
        Field("epikrise_sent", "Epikrise er sendt", kind="flag"),
    ),
)

PLAN_DISCHARGE = ActionForm(
    action=ReferralAction.PLAN_DISCHARGE, heading="Planlegg utskriving", button="Planlegg utskriving",
    intro="Kommunen får tilbakehenvisningen før utskrivingen, så den er klar til å ta over den dagen.",
    done="Utskrivingen er planlagt. Kommunen får tilbakehenvisningen i god tid før datoen.",
    fields=(_date_field("planned_discharge_on", "planlagt utskriving",
                        refused="Planlagt utskriving må være etter i dag."),),
)

RECORD_EPIKRISE = ActionForm(
    action=ReferralAction.RECORD_EPIKRISE, heading="Epikrisen mangler", button="Registrer at epikrisen er sendt",
    intro="Barnet er skrevet ut uten at epikrisen er sendt. BUP får en påminnelse hver virkedag til den er registrert.",
    done="Epikrisen er registrert som sendt.",
)

#: The decision forms in the order they are shown, by action code.
DECISIONS: dict[str, ActionForm] = {form.action: form for form in (
    ACCEPT, REQUEST_INFORMATION, REJECT, MUNICIPAL_OUTCOME, FORWARD, START_TREATMENT, PLAN_DISCHARGE, DISCHARGE,
    RECORD_EPIKRISE, TRANSFER_TO_DPS)}


# The municipality's steps on "Tilbakehenvisning", by handover action.
ACKNOWLEDGE = ActionForm(
    action=HandoverAction.ACKNOWLEDGE, heading="Bekreft at kommunen har mottatt tilbakehenvisningen",
    button="Bekreft mottatt",
    intro="BUP og henviser ser at kommunen har tatt imot saken.",
    done="Tilbakehenvisningen er bekreftet mottatt.",
)

ASSIGN = ActionForm(
    action=HandoverAction.ASSIGN, heading="Tildel oppfølgingen", button="Tildel",
    intro="Velg en person i din organisasjon, eller skriv navnet på tjenesten som skal følge opp.",
    done="Tilbakehenvisningen er tildelt.",
    fields=(
        Field("assignee_user_id", "Person i din organisasjon", kind="choice",
              refused="Velg en person i din egen organisasjon."),
        Field("service", "Eller en tjeneste",
              description="For eksempel «Helsestasjon for ungdom» eller «Kommunepsykolog»."),
    ),
)

PLAN = ActionForm(
    action=HandoverAction.PLAN, heading="Planlegg første kontakt", button="Planlegg første kontakt",
    done="Første kontakt er planlagt.",
    fields=(
        _date_field("first_contact_on", "første kontakt",
                    refused="Første kontakt kan ikke være før tilbakehenvisningen kom."),
        Field("plan", "Plan", kind="textarea", missing="Skriv planen for oppfølgingen.",
              description="Hvem tar kontakt med barnet og familien, og hva skal skje?"),
    ),
)

CLOSE = ActionForm(
    action=HandoverAction.CLOSE, heading="Avslutt tilbakehenvisningen", button="Avslutt",
    done="Tilbakehenvisningen er avsluttet.",
    fields=(
        Field("outcome_code", "Hvordan endte det", kind="choice",
              options=tuple((code, labels.HANDOVER_OUTCOME[code]) for code in CHOSEN_HANDOVER_OUTCOMES)),
        Field("outcome", "Utfall", kind="textarea", missing="Skriv utfallet av oppfølgingen.",
              description="Hva ble resultatet for barnet?"),
    ),
)

# The referrer's actions on the referral page.
ANSWER = ActionForm(
    action=ReferralAction.SUPPLEMENT, heading="Svar på spørsmålene fra BUP", button="Send svar",
    done="Svaret er sendt til BUP. Henvisningen venter igjen på vurdering.",
    fields=(Field("text", "Svar til BUP", kind="textarea", rows=6, missing="Skriv svaret til BUP.",
                  description="Svaret sendes til BUP, og henvisningen går tilbake til vurdering."),),
)

WITHDRAW = ActionForm(
    action=ReferralAction.WITHDRAW, heading="Trekke tilbake henvisningen?", button="Trekk tilbake henvisningen",
    done="Henvisningen er trukket tilbake.",
    fields=(Field("reason", "Hvorfor trekkes henvisningen tilbake?", kind="textarea", rows=3,
                  missing="Skriv hvorfor henvisningen trekkes tilbake.",
                  description="Begrunnelsen blir med i tidslinjen. En henvisning som er trukket tilbake, kan ikke "
                              "sendes igjen."),),
)

ADD_CONTACT = ActionForm(
    action=ReferralAction.UPDATE_MUNICIPAL_CONTACTS, heading="Legg til en kontakt i kommunen",
    button="Legg til kontakten", schema=ContactIn,
    intro="Hvem i kommunen er rundt barnet mens det venter? Kontakten får vite det hvis BUP avslår eller skriver ut.",
    done="Kontakten er lagt til.",
    fields=(
        Field("contact_role", "Rolle", key="role", missing="Skriv rollen, for eksempel lærer eller helsesykepleier."),
        Field("contact_name", "Navn", key="name", missing="Skriv navnet på kontakten."),
        Field("contact_organisation_id", "Virksomhet", key="organisation_id", kind="choice",
              refused="Velg en virksomhet fra listen.", description="Valgfritt."),
    ),
)

HANDOVER_STEPS: dict[str, ActionForm] = {form.action: form for form in (ACKNOWLEDGE, ASSIGN, PLAN, CLOSE)}

MOVE = ActionForm(
    action=ReferralAction.MOVE, heading="Familien har flyttet", button="Registrer flyttingen", schema=MoveIn,
    intro="Velg kommunen barnet bor i nå. En åpen tilbakehenvisning blir overført dit med det BUP skrev og det "
          "som er gjort så langt; den nye kommunens koordinator får beskjed, og fristene begynner på nytt.",
    done="Flyttingen er registrert.",
    fields=(
        Field("move_home_municipality", "Ny hjemkommune", key="home_municipality", kind="choice",
              missing="Velg kommunen familien har flyttet til.",
              refused="Velg en annen kommune enn den barnet bor i nå, fra listen."),
        Field("moved_on", "Flyttedato", kind="date", description="Valgfritt. Tomt betyr i dag.",
              refused="Flyttedatoen kan ikke være etter i dag."),
    ),
)
