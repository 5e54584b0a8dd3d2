"""The family's words for where a case is and what happens next, in bokmål ("nb") and nynorsk ("nn"): short
sentences a 12-year-old understands (klarspråk). One place for the family page and the letters.

Each stage has a `now` (where the case is) and a `next` (what happens next; `{due}` is the date, `{organisation}` who
holds it). A stage without a date to give uses `next_undated`."""

from __future__ import annotations

from referral_service.workflows.responsible_now import Stage

LANGUAGES = ("nb", "nn")
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk"}

NOW: dict[str, dict[Stage, str]] = {
    "nb": {
        Stage.NOT_SENT: "Henvisningen er ikke sendt ennå",
        Stage.BUP_ASSESSES: "BUP vurderer henvisningen",
        Stage.BUP_ASKS_REFERRER: "BUP trenger mer informasjon",
        Stage.BUP_WILL_START: "BUP skal gi deg hjelp",
        Stage.IN_BUP_CARE: "Du får hjelp hos BUP",
        Stage.HANDOVER_BEING_MADE: "BUP har sendt saken tilbake til kommunen",
        Stage.OWNER_TO_TAKE_OVER: "{organisation} skal ta over saken",
        Stage.OWNER_HOLDS: "{organisation} har tatt over saken",
        Stage.FIRST_CONTACT_PLANNED: "{organisation} har avtalt å ta kontakt",
        Stage.FOLLOW_UP_ENDED: "Oppfølgingen i {organisation} er avsluttet",
        Stage.FORWARDED: "Henvisningen er sendt videre til en annen BUP",
        Stage.ADULT_SERVICES: "Saken er sendt videre til voksenpsykiatrien (DPS)",
        Stage.WITHDRAWN: "Henvisningen er trukket tilbake",
    },
    "nn": {
        Stage.NOT_SENT: "Tilvisinga er ikkje send enno",
        Stage.BUP_ASSESSES: "BUP vurderer tilvisinga",
        Stage.BUP_ASKS_REFERRER: "BUP treng meir informasjon",
        Stage.BUP_WILL_START: "BUP skal gi deg hjelp",
        Stage.IN_BUP_CARE: "Du får hjelp hos BUP",
        Stage.HANDOVER_BEING_MADE: "BUP har sendt saka tilbake til kommunen",
        Stage.OWNER_TO_TAKE_OVER: "{organisation} skal ta over saka",
        Stage.OWNER_HOLDS: "{organisation} har teke over saka",
        Stage.FIRST_CONTACT_PLANNED: "{organisation} har avtalt å ta kontakt",
        Stage.FOLLOW_UP_ENDED: "Oppfølginga i {organisation} er avslutta",
        Stage.FORWARDED: "Tilvisinga er send vidare til ein annan BUP",
        Stage.ADULT_SERVICES: "Saka er send vidare til vaksenpsykiatrien (DPS)",
        Stage.WITHDRAWN: "Tilvisinga er trekt tilbake",
    },
}

NEXT: dict[str, dict[Stage, str]] = {
    "nb": {
        Stage.BUP_ASSESSES: "svar innen {due}",
        Stage.BUP_ASKS_REFERRER: "Den som henviste, svarer BUP. BUP svarer innen {due}",
        Stage.BUP_WILL_START: "Du skal få hjelp senest {due}",
        Stage.OWNER_TO_TAKE_OVER: "De tar over saken senest {due}",
        Stage.OWNER_HOLDS: "De tar kontakt med dere senest {due}",
        Stage.FIRST_CONTACT_PLANNED: "De tar kontakt med dere {due}",
    },
    "nn": {
        Stage.BUP_ASSESSES: "svar innan {due}",
        Stage.BUP_ASKS_REFERRER: "Den som tilviste, svarar BUP. BUP svarar innan {due}",
        Stage.BUP_WILL_START: "Du skal få hjelp seinast {due}",
        Stage.OWNER_TO_TAKE_OVER: "Dei tek over saka seinast {due}",
        Stage.OWNER_HOLDS: "Dei tek kontakt med dykk seinast {due}",
        Stage.FIRST_CONTACT_PLANNED: "Dei tek kontakt med dykk {due}",
    },
}

NEXT_UNDATED: dict[str, dict[Stage, str]] = {
    "nb": {
        Stage.NOT_SENT: "Den som skal henvise, sender henvisningen til BUP",
        Stage.IN_BUP_CARE: "Spør BUP om neste time",
        Stage.HANDOVER_BEING_MADE: "Kommunen får beskjed nå og tar over saken",
        Stage.FOLLOW_UP_ENDED: "Ta kontakt med {organisation} hvis dere trenger mer hjelp",
        Stage.FORWARDED: "Den nye BUP-en vurderer henvisningen",
        Stage.ADULT_SERVICES: "DPS tar kontakt",
        Stage.WITHDRAWN: "Ta kontakt med den som henviste hvis dere lurer på noe",
    },
    "nn": {
        Stage.NOT_SENT: "Den som skal tilvise, sender tilvisinga til BUP",
        Stage.IN_BUP_CARE: "Spør BUP om neste time",
        Stage.HANDOVER_BEING_MADE: "Kommunen får beskjed no og tek over saka",
        Stage.FOLLOW_UP_ENDED: "Ta kontakt med {organisation} viss de treng meir hjelp",
        Stage.FORWARDED: "Den nye BUP-en vurderer tilvisinga",
        Stage.ADULT_SERVICES: "DPS tek kontakt",
        Stage.WITHDRAWN: "Ta kontakt med den som tilviste viss de lurer på noko",
    },
}

#: "Who to talk to now", as a heading on the page and first in every letter.
WHO_NOW = {"nb": "Hvem skal dere snakke med nå?", "nn": "Kven skal de snakke med no?"}


def stage_now(language: str, stage: Stage, *, organisation: str = "") -> str:
    return NOW[language][stage].format(organisation=organisation or "Kommunen")


def stage_next(language: str, stage: Stage, *, due: str | None, organisation: str = "") -> str:
    """What happens next, with its date when the stage has one ("" when there is nothing to say)."""
    if due and stage in NEXT[language]:
        return NEXT[language][stage].format(due=due, organisation=organisation)
    return NEXT_UNDATED[language].get(stage, "").format(organisation=organisation or "kommunen")
