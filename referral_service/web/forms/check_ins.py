"""The forms for the check-in after the municipal help ended, on the handover's page: record it, or call it off."""

from __future__ import annotations

from referral_service.domain.enums import CheckInOutcome
from referral_service.schemas.check_ins import CancelCheckInIn, RecordCheckInIn
from referral_service.web import labels
from referral_service.web.forms.decisions import ActionForm, Field

RECORD_CHECK_IN = ActionForm(
    action="record_check_in", heading="Registrer oppfølgingssamtalen", button="Registrer samtalen",
    intro="Hjelpen i kommunen er avsluttet. Snakk med barnet og familien, og skriv hvordan det går.",
    done="Oppfølgingssamtalen er registrert.", schema=RecordCheckInIn,
    fields=(
        Field("check_in_outcome_code", "Hvordan går det", key="outcome_code", kind="choice",
              missing="Velg hvordan det går med barnet.",
              options=tuple((code.value, labels.CHECK_IN_OUTCOME[code.value]) for code in CheckInOutcome)),
        Field("check_in_outcome", "Hva kom fram i samtalen", key="outcome", kind="textarea",
              missing="Skriv hva som kom fram i samtalen."),
    ),
)

CANCEL_CHECK_IN = ActionForm(
    action="cancel_check_in", heading="Avlys oppfølgingssamtalen", button="Avlys samtalen",
    intro="Bare når samtalen ikke lenger trengs, for eksempel fordi barnet er henvist på nytt.",
    done="Oppfølgingssamtalen er avlyst.", schema=CancelCheckInIn,
    fields=(Field("check_in_cancel_reason", "Hvorfor avlyses den", key="reason", kind="textarea",
                  missing="Skriv hvorfor samtalen avlyses."),),
)

#: The check-in's forms by action, in the order the page shows them.
CHECK_IN_FORMS: dict[str, ActionForm] = {form.action: form for form in (RECORD_CHECK_IN, CANCEL_CHECK_IN)}
