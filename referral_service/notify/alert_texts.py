"""What an alert says, in Norwegian: the inbox, the API and the e-mail render the alert's kind and data here.

Services raise alerts as a kind with data (dates, a clinic's name, a level); no service writes these words.
An alert names no child and no identity number.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

#: The cause of a handover as a word in a sentence (the pages capitalise it: web/labels.py).
TRIGGER_WORDS = {"rejected": "avslag", "municipal_level": "hjelpen hører hjemme i kommunen",
                 "discharged": "utskrevet", "withdrawn": "trukket etter oppstart"}

TEXTS = {
    "referral_request-information": "{clinic} ber om mer informasjon før henvisningen kan vurderes. Svar på "
                                    "spørsmålene i henvisningen.",
    "referral_accept": "{clinic} har gitt rett til helsehjelp. Fristen for når helsehjelpen skal starte, står i "
                       "henvisningen.",
    "referral_forward": "{clinic} har videresendt en henvisning til en annen poliklinikk.",
    "referral_supplement": "Henviser har svart på spørsmålene {clinic} stilte om en henvisning.",
    "referral_invite-co-referrer": "Virksomheten din er invitert som medhenviser på en henvisning til {clinic}.",
    "referral_submit": "Medhenviseren har sendt henvisningen du skrev, til {clinic}.",
    "referral_join": "En annen tjeneste har henvist det samme barnet og er nå medhenviser på henvisningen din "
                     "til {clinic}. Det de skrev, ligger i henvisningen.",
    "referral_merge": "{clinic} har slått sammen to henvisninger for det samme barnet. Henvisningen din gjelder "
                      "videre, med innholdet fra begge.",
    "referral_merged-into": "{clinic} har slått sammen henvisningen din med en annen henvisning for det samme "
                            "barnet. Virksomheten din er medhenviser på den, og alt du skrev, er tatt vare på.",
    "handover_created": "Ny tilbakehenvisning fra {clinic} ({trigger}). Bekreft mottak innen {acknowledge_due}.",
    "referral_decision": "{clinic} har avsluttet henvisningen ({trigger}). Tilbakehenvisningen viser hvem som "
                         "følger opp barnet nå.",
    "municipality_not_connected": "Kommune {municipality_number} er ikke koblet til tjenesten, så en "
                                  "tilbakehenvisning ligger hos henviseren. Registrer kommunen og en koordinator.",
    "handover_unrouted": "En tilbakehenvisning til kommune {municipality_number} har ingen å gå til. "
                         "Registrer kommunen og en koordinator, eller kontakt henviseren.",
    "assessment_warning": "Vurderingsfristen for henvisningen går ut {due}. Vurder den innen fristen.",
    "assessment_breach": "Fristbrudd: vurderingsfristen for henvisningen gikk ut {due}.",
    "care_start_breach": "Fristbrudd: fristen for start av helsehjelp gikk ut {due}.",
    "handover_unacknowledged": "Eskalert (nivå {level}): tilbakehenvisningen er ikke bekreftet mottatt, og "
                               "fristen var {due}. Se til at noen tar den.",
    "handover_no_first_contact": "Eskalert (nivå {level}): første kontakt med familien er ikke planlagt, og "
                                 "fristen var {due}. Se til at noen planlegger den.",
    "waiting_without_municipal_helper": "Et barn har ventet på BUP siden {due} uten at noen i kommunen er "
                                        "oppført som kontakt. Finn ut hvem som kan følge opp barnet mens det venter.",
    "epikrise_missing": "Et barn er skrevet ut uten at epikrisen er sendt. Send den, og registrer det i tjenesten.",
    "epikrise_reminder": "Påminnelse: epikrisen for et barn som er skrevet ut, er fortsatt ikke registrert som sendt.",
    "repeat_rejection": "Et barn er avslått av BUP {rejections} ganger på {window_months} måneder. Se til at "
                        "kommunen følger barnet opp, og at en ny henvisning har det BUP trenger.",
    "turning_18": "En ungdom med åpen henvisning hos BUP fylte 18 år {due}. Planlegg overgangen til "
                  "voksenpsykiatrien (DPS). Koordinatoren i kommunen følger ungdommen videre.",
    "turning_18_soon": "En ungdom med åpen henvisning hos BUP fyller 18 år {due}. Planlegg overgangen til "
                       "voksenpsykiatrien (DPS) i god tid.",
    "referral_transfer-to-dps": "{clinic} har overført en ungdom til voksenpsykiatrien (DPS).",
    "referral_receive-dps-transfer": "{clinic} har fått en henvisning overført fra BUP ved overgangen til "
                                     "voksenpsykiatrien. Vurder henvisningen.",
    "alert_delivery_failed": ("Et e-postvarsel kunne ikke leveres. Mottakeren har varselet i innboksen sin. "
                              "Du kan sende e-posten på nytt under Administrasjon › Drift."),
    "fhir_subscription_error": ("Et FHIR-abonnement får ikke lenger varsler om endringer i oppgaver. Årsaken står "
                                "under Administrasjon › Drift; abonnementet må settes aktivt igjen eller "
                                "opprettes på nytt."),
    "handover_reassign": "En tilbakehenvisning er flyttet til deg fra en kollega som ikke lenger bruker tjenesten.",
    "handover_release": "En tilbakehenvisning er tilbake i køen fordi den som hadde den, ikke lenger bruker "
                        "tjenesten. Tildel den til noen.",
    "check_in_due": "I dag ({due}) skal du ha oppfølgingssamtale med en familie der hjelpen i kommunen er "
                    "avsluttet. Registrer hvordan det går.",
    "check_in_cancelled": "En oppfølgingssamtale som skulle holdes {due}, er avlyst fordi barnet er henvist på nytt.",
    "check_in_overdue": "Eskalert (nivå {level}): en oppfølgingssamtale etter avsluttet hjelp i kommunen er ikke "
                        "registrert. Den skulle vært holdt {due}.",
    "handover_transferred_in": "En familie har flyttet fra {from_municipality} til {to_municipality}: "
                               "tilbakehenvisningen fra {clinic} ({trigger}) er overført til dere. Bekreft mottak "
                               "innen {acknowledge_due}.",
    "handover_transferred_out": "En familie har flyttet til {to_municipality}: tilbakehenvisningen er "
                                "overført dit og avsluttet hos dere.",
    # Issue 14, from the family page: the owner of the child's case is told (never what the family wrote).
    "family_nudge": "Familien sier fra {raised_on} at de ikke har hørt noe fra dere. Ta kontakt med familien, og "
                    "merk det i tjenesten når dere har gjort det.",
    "family_nudge_unanswered": "Eskalert: familien sa fra {raised_on} at de ikke har hørt noe, og ingen har tatt "
                               "kontakt innen {working_days} virkedager. Se til at noen gjør det.",
    "family_voice": "Barnet har skrevet noe på familiesiden som det vil at BUP og kommunen skal vite. Les det i "
                    "saken.",
}
FALLBACK = "Du har et nytt varsel."


class RenderableAlert(Protocol):
    kind: str
    message: str
    data: dict[str, Any] | None


def _words(data: dict[str, Any]) -> dict[str, Any]:
    words = {}
    for name, value in data.items():
        if name == "trigger":
            words[name] = TRIGGER_WORDS.get(value, value)
        elif isinstance(value, str) and (name in ("due", "raised_on") or name.endswith("_due")):
            words[name] = f"{date.fromisoformat(value):%d.%m.%Y}"
        else:
            words[name] = value
    return words


def alert_text(alert: RenderableAlert) -> str:
    """The alert's sentence; alerts stored before they carried data keep the sentence they were given."""
    if alert.message:
        return alert.message
    template = TEXTS.get(alert.kind)
    if template is None:
        return FALLBACK
    try:
        return template.format(**_words(alert.data or {}))
    except (KeyError, ValueError):
        return FALLBACK
