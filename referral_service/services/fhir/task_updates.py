"""PUT /fhir/Task/{referral_id}: BUP's (or the referrer's) system takes a lifecycle action by updating the Task.

The sent Task is compared with the referral as it stands (`fhir/task_updates.py` reads the one action it asks
for); the action's body is loaded by the same schema as `POST /api/v1/referrals/{id}/<action>` and taken by the
same `take_action`: the lifecycle table decides, and refuses as the REST API does (403, 409, 422), told as an
OperationOutcome. If-Match is the Task's `W/"<versionId>"`; without one, as in the REST API, the change is made
against the version it was compared with (so a change in between is 412, never a different action).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from referral_service.api.problems import flatten_messages
from referral_service.domain.enums import ReferralStatus
from referral_service.errors import InvalidData, NotFound, PreconditionFailed
from referral_service.fhir.task_updates import TaskChange, check_task, read_change
from referral_service.schemas.referrals import ACTION_BODIES
from referral_service.services.fhir.registry import OTHER_INTERACTIONS, FhirRequest
from referral_service.services.fhir.tasks import TASK_NOT_FOUND, referral_task_of
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.guards import if_match_fails
from referral_service.services.views import etag_for

OTHER_INTERACTIONS["Task"] = (*OTHER_INTERACTIONS.get("Task", ()), "update")


def rest_if_match(if_match: str | None, *, referral_id: str) -> str | None:
    """FHIR's `W/"<versionId>"` as the REST API's ETag of the referral (`"<id>.<version>"`); `*` and the REST
    form pass as they are."""
    if if_match is None:
        return None
    tags = []
    for tag in if_match.split(","):
        bare = tag.strip().removeprefix("W/").strip('"')
        tags.append(f'"{referral_id}.{bare}"' if bare.isdigit() else tag.strip())
    return ", ".join(tags)


def update_referral_task(req: FhirRequest, *, task_id: str, task: Any, if_match: str | None) -> dict[str, Any]:
    """Take the one lifecycle action the sent Task asks for; the Task as it now stands (404 when not visible,
    412 when stale, 403/409/422 as the lifecycle refuses)."""
    with req.uow.reading() as uow:
        try:
            referral = uow.referrals.get_visible(actor=req.actor, referral_id=task_id)
        except NotFound:
            raise NotFound(TASK_NOT_FOUND) from None  # the same answer as a read of a Task one may not see
        current, etag, epikrise_pending = ReferralStatus(referral.status), etag_for(referral), referral.epikrise_pending
    task = check_task(task, task_id=task_id)
    wanted = rest_if_match(if_match, referral_id=task_id)
    if if_match_fails(etag, wanted):
        raise PreconditionFailed("The Task has changed since you read it. Fetch it again.")
    change = read_change(current=current, task=task, epikrise_pending=epikrise_pending)
    if change.action is not None:
        schema = ACTION_BODIES[change.action]
        try:
            data = schema().load(change.data) if schema else {}
        except ValidationError as invalid:
            raise InvalidData("The Task does not carry what the action needs.",
                              errors=_at_fhir_paths(change, flatten_messages(invalid.messages))) from None
        try:
            take_action(req.uow, clock=req.deps.clock, deadlines=req.deps.deadlines, referrers=req.deps.referrers,
                        municipalities=req.deps.municipalities, actor=req.actor, referral_id=task_id,
                        action=change.action, data=data, if_match=wanted or etag)
        except InvalidData as invalid:
            raise InvalidData(invalid.detail, errors=_at_fhir_paths(change, invalid.errors or {})) from None
    return referral_task_of(req, task_id)


def _at_fhir_paths(change: TaskChange, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    located: dict[str, list[str]] = {}
    for body_field, messages in errors.items():
        located.setdefault(change.fhir_path(body_field), []).extend(messages)
    return located
