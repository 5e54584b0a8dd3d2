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


# The letters to the child and guardians (services/family/letter_rendering.py, templates/letters/). Each kind has a
# heading and a first sentence, to the guardians ("dere", about the child by name) and to the child or young person
# ("du"). {child} is the child's first name, {clinic} the BUP clinic, {new_clinic} the clinic it went on to,
# {sender} the organisation that writes, {owner} who holds the case now (the home municipality, or without consent to
# share with it, the referring service).
LETTER_KINDS: dict[str, dict[str, dict[str, str]]] = {
    "nb": {
        "sent": {"heading": "Henvisningen er sendt til BUP",
                 "guardian": "{sender} har sendt en henvisning om {child} til {clinic}.",
                 "you": "{sender} har sendt en henvisning om deg til {clinic}."},
        "received": {"heading": "BUP har fått henvisningen",
                     "guardian": "{clinic} har fått henvisningen om {child}. BUP skal svare innen en frist.",
                     "you": "{clinic} har fått henvisningen om deg. BUP skal svare innen en frist."},
        "accepted": {"heading": "BUP skal gi hjelp",
                     "guardian": "{clinic} har sagt ja. {child} har rett til hjelp fra BUP.",
                     "you": "{clinic} har sagt ja. Du har rett til hjelp fra BUP."},
        "rejected": {"heading": "BUP har sagt nei. {owner} tar over",
                     "guardian": "{clinic} har sagt nei til henvisningen om {child}. Det betyr ikke at {child} "
                                 "står uten hjelp. {owner} skal følge opp.",
                     "you": "{clinic} har sagt nei til henvisningen om deg. Det betyr ikke at du står uten hjelp. "
                            "{owner} skal følge deg opp."},
        "municipal_level": {"heading": "Hjelpen skal gis i kommunen",
                            "guardian": "{clinic} har snakket med dere. BUP mener at {child} får best hjelp i "
                                        "kommunen.",
                            "you": "{clinic} har snakket med deg. BUP mener at du får best hjelp i kommunen."},
        "forwarded": {"heading": "Henvisningen er sendt til en annen BUP",
                      "guardian": "{clinic} har sendt henvisningen om {child} videre til {new_clinic}.",
                      "you": "{clinic} har sendt henvisningen om deg videre til {new_clinic}."},
        "handover_acknowledged": {"heading": "Nå har {sender} ansvaret",
                                  "guardian": "{sender} har tatt over saken til {child}. Her er den dere skal "
                                              "snakke med.",
                                  "you": "{sender} har tatt over saken din. Her er den du skal snakke med."},
        "first_contact_planned": {"heading": "{sender} tar kontakt",
                                  "guardian": "{sender} har planlagt når de skal snakke med dere om {child}.",
                                  "you": "{sender} har planlagt når de skal snakke med deg."},
        "discharged": {"heading": "Behandlingen i BUP er ferdig",
                       "guardian": "{child} er ferdig hos {clinic}. {owner} skal følge opp videre.",
                       "you": "Du er ferdig hos {clinic}. {owner} skal følge deg opp videre."},
        "withdrawn": {"heading": "Henvisningen er trukket tilbake. {owner} følger opp",
                      "guardian": "Henvisningen om {child} til {clinic} er trukket tilbake. {owner} skal følge opp "
                                  "videre.",
                      "you": "Henvisningen om deg til {clinic} er trukket tilbake. {owner} skal følge deg opp "
                             "videre."},
        "transferred": {"heading": "Nå har {sender} ansvaret",
                        "guardian": "Dere har flyttet. Derfor er saken til {child} sendt til {sender}. Nå er det "
                                    "{sender} som skal følge opp.",
                        "you": "Du har flyttet. Derfor er saken din sendt til {sender}. Nå er det {sender} som "
                               "skal følge deg opp."},
    },
    "nn": {
        "sent": {"heading": "Tilvisinga er send til BUP",
                 "guardian": "{sender} har sendt ei tilvising om {child} til {clinic}.",
                 "you": "{sender} har sendt ei tilvising om deg til {clinic}."},
        "received": {"heading": "BUP har fått tilvisinga",
                     "guardian": "{clinic} har fått tilvisinga om {child}. BUP skal svare innan ein frist.",
                     "you": "{clinic} har fått tilvisinga om deg. BUP skal svare innan ein frist."},
        "accepted": {"heading": "BUP skal gi hjelp",
                     "guardian": "{clinic} har sagt ja. {child} har rett til hjelp frå BUP.",
                     "you": "{clinic} har sagt ja. Du har rett til hjelp frå BUP."},
        "rejected": {"heading": "BUP har sagt nei. {owner} tek over",
                     "guardian": "{clinic} har sagt nei til tilvisinga om {child}. Det tyder ikkje at {child} "
                                 "står utan hjelp. {owner} skal følgje opp.",
                     "you": "{clinic} har sagt nei til tilvisinga om deg. Det tyder ikkje at du står utan hjelp. "
                            "{owner} skal følgje deg opp."},
        "municipal_level": {"heading": "Hjelpa skal bli gitt i kommunen",
                            "guardian": "{clinic} har snakka med dykk. BUP meiner at {child} får best hjelp i "
                                        "kommunen.",
                            "you": "{clinic} har snakka med deg. BUP meiner at du får best hjelp i kommunen."},
        "forwarded": {"heading": "Tilvisinga er send til ein annan BUP",
                      "guardian": "{clinic} har sendt tilvisinga om {child} vidare til {new_clinic}.",
                      "you": "{clinic} har sendt tilvisinga om deg vidare til {new_clinic}."},
        "handover_acknowledged": {"heading": "No har {sender} ansvaret",
                                  "guardian": "{sender} har teke over saka til {child}. Her er den de skal "
                                              "snakke med.",
                                  "you": "{sender} har teke over saka di. Her er den du skal snakke med."},
        "first_contact_planned": {"heading": "{sender} tek kontakt",
                                  "guardian": "{sender} har planlagt når dei skal snakke med dykk om {child}.",
                                  "you": "{sender} har planlagt når dei skal snakke med deg."},
        "discharged": {"heading": "Behandlinga i BUP er ferdig",
                       "guardian": "{child} er ferdig hos {clinic}. {owner} skal følgje opp vidare.",
                       "you": "Du er ferdig hos {clinic}. {owner} skal følgje deg opp vidare."},
        "withdrawn": {"heading": "Tilvisinga er trekt tilbake. {owner} følgjer opp",
                      "guardian": "Tilvisinga om {child} til {clinic} er trekt tilbake. {owner} skal følgje opp "
                                  "vidare.",
                      "you": "Tilvisinga om deg til {clinic} er trekt tilbake. {owner} skal følgje deg opp vidare."},
        "transferred": {"heading": "No har {sender} ansvaret",
                        "guardian": "De har flytta. Difor er saka til {child} send til {sender}. No er det {sender} "
                                    "som skal følgje opp.",
                        "you": "Du har flytta. Difor er saka di send til {sender}. No er det {sender} som skal "
                               "følgje deg opp."},
    },
}

#: The letters' fixed words; "you" variants speak to the child or young person, the others to the guardians.
LETTER_LABELS: dict[str, dict[str, str]] = {
    "nb": {
        "who_now_you": "Hvem skal du snakke med nå?",
        "phone": "Telefon",
        "hours": "Når du kan ringe",
        "hours_guardian": "Når dere kan ringe",
        "what_next": "Hva skjer nå?",
        "about": "Om henvisningen",
        "reasons": "Henvisningen handler om",
        "child_view_you": "Det du selv har sagt",
        "child_view_guardian": "Det {child} selv har sagt",
        "explanation": "Hvorfor BUP svarte slik",
        "advice": "Råd fra BUP",
        "summary": "Hva BUP har gjort",
        "from": "Fra",
        "date": "Dato",
        "regarding": "Gjelder",
        "born": "født",
        "to_guardian": "Til foresatte",
        "to_child": "Til {child}",
        "questions_you": "Har du spørsmål? Ring gjerne. Du kan også ta med deg en voksen du stoler på.",
        "questions_guardian": "Har dere spørsmål? Ring gjerne.",
        "greeting": "Hilsen",
        "no_contact": "Ring {organisation} hvis dere lurer på noe.",
    },
    "nn": {
        "who_now_you": "Kven skal du snakke med no?",
        "phone": "Telefon",
        "hours": "Når du kan ringje",
        "hours_guardian": "Når de kan ringje",
        "what_next": "Kva skjer no?",
        "about": "Om tilvisinga",
        "reasons": "Tilvisinga handlar om",
        "child_view_you": "Det du sjølv har sagt",
        "child_view_guardian": "Det {child} sjølv har sagt",
        "explanation": "Kvifor BUP svarte slik",
        "advice": "Råd frå BUP",
        "summary": "Kva BUP har gjort",
        "from": "Frå",
        "date": "Dato",
        "regarding": "Gjeld",
        "born": "fødd",
        "to_guardian": "Til føresette",
        "to_child": "Til {child}",
        "questions_you": "Har du spørsmål? Ring gjerne. Du kan òg ta med deg ein vaksen du stolar på.",
        "questions_guardian": "Har de spørsmål? Ring gjerne.",
        "greeting": "Helsing",
        "no_contact": "Ring {organisation} viss de lurer på noko.",
    },
}

#: Why the child was referred, in the family's words (the referral's reason codes).
LETTER_REASONS: dict[str, dict[str, str]] = {
    "nb": {"anxiety": "angst og bekymring", "depression": "nedstemthet", "self_harm": "selvskading",
           "suicidal_thoughts": "tanker om å ta sitt eget liv", "eating_disorder": "problemer med mat og spising",
           "adhd_assessment": "utredning for ADHD", "autism_assessment": "utredning for autisme",
           "trauma": "vonde opplevelser", "behaviour": "atferd", "school_refusal": "vansker med å gå på skolen",
           "psychosis": "forvirrede tanker og opplevelser", "other": "annet",
           "parent_mental_illness_or_substance_use": "en forelder som er syk eller ruser seg"},
    "nn": {"anxiety": "angst og uro", "depression": "nedstemtheit", "self_harm": "sjølvskading",
           "suicidal_thoughts": "tankar om å ta sitt eige liv", "eating_disorder": "problem med mat og eting",
           "adhd_assessment": "utgreiing for ADHD", "autism_assessment": "utgreiing for autisme",
           "trauma": "vonde opplevingar", "behaviour": "åtferd", "school_refusal": "vanskar med å gå på skulen",
           "psychosis": "forvirra tankar og opplevingar", "other": "anna",
           "parent_mental_illness_or_substance_use": "ein forelder som er sjuk eller ruser seg"},
}


def letter_words(language: str, kind: str) -> dict[str, str]:
    """The heading and first sentences of a letter of this kind."""
    return LETTER_KINDS[language][kind]


def letter_label(language: str, name: str, **names: str) -> str:
    return LETTER_LABELS[language][name].format(**names)


def letter_reasons(language: str, codes: list[str]) -> list[str]:
    return [LETTER_REASONS[language].get(code, LETTER_REASONS[language]["other"]) for code in codes]
