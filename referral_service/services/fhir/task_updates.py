"""PUT /fhir/Task/{id}: BUP's (or the referrer's) system takes a referral's lifecycle action, the municipality a
handover's step, by updating the Task.

The sent Task is compared with the task as it stands: what changed in it (its `Task.status`, our `businessStatus`,
or both in agreement) is the one action it asks for (`fhir/task_updates.py`). The id is first told apart as a
referral's or a handover's, as the Task reader does, so need-to-know is asked once, of the right table. The
action's body is loaded by the same schema as the REST API's action and taken by the same service (`take_action`,
`act_on_handover`): the lifecycle tables decide, and refuse as the REST API does (403, 409, 422), told as an
OperationOutcome. If-Match is the Task's `W/"<versionId>"`; without one, as in the REST API, it is not
asked for, and the change is made against the version it was compared with (a change in between is 412, never a
different action). A Task that asks for no change answers the Task as it is.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from referral_service.api.problems import flatten_messages
from referral_service.domain.enums import HandoverStatus, ReferralStatus
from referral_service.errors import InvalidData, NotFound, PreconditionFailed
from referral_service.fhir.task_updates import check_task, read_change, read_handover_change
from referral_service.schemas.handovers import STEP_BODIES
from referral_service.schemas.referrals import ACTION_BODIES
from referral_service.services.fhir.registry import OTHER_INTERACTIONS, FhirRequest
from referral_service.services.fhir.tasks import (
    TASK_NOT_FOUND,
    _names_a_referral,
    handover_task_of,
    referral_task_of,
)
from referral_service.services.handovers.tasks import act_on_handover
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.guards import if_match_fails
from referral_service.services.views import etag_for, handover_etag

OTHER_INTERACTIONS["Task"] = (*OTHER_INTERACTIONS.get("Task", ()), "update")


def rest_if_match(if_match: str | None, *, row_id: str) -> str | None:
    """FHIR's `W/"<versionId>"` as the REST API's ETag of the row (`"<id>.<version>"`); `*` and the REST form
    pass as they are."""
    if if_match is None:
        return None
    tags = []
    for tag in if_match.split(","):
        bare = tag.strip().removeprefix("W/").strip('"')
        tags.append(f'"{row_id}.{bare}"' if bare.isdigit() else tag.strip())
    return ", ".join(tags)


def update_task(req: FhirRequest, *, task_id: str, task: Any, if_match: str | None) -> dict[str, Any]:
    """Take the one action the sent Task asks for; the Task as it now stands (404 when not visible, 412 when
    stale, 403/409/422 as the lifecycle refuses)."""
    is_referral = _names_a_referral(req, task_id)  # no need-to-know call: a handover is never a refused referral
    with req.uow.reading() as uow:
        try:
            if is_referral:
                referral = uow.referrals.get_visible(actor=req.actor, referral_id=task_id)
                current = (ReferralStatus(referral.status), etag_for(referral), referral.epikrise_pending)
            else:
                handover, _referral = uow.handovers.get_visible(actor=req.actor, handover_id=task_id)
                assigned_to = {"assignee_user_id": handover.assignee_user_id, "service": handover.assigned_service}
                current_handover = (HandoverStatus(handover.status), handover_etag(handover), assigned_to)
        except NotFound:
            raise NotFound(TASK_NOT_FOUND) from None  # the same answer as a read of a Task one may not see
    if not is_referral:
        return _update_handover_task(req, task_id=task_id, task=task, if_match=if_match, current=current_handover)
    return _update_referral_task(req, task_id=task_id, task=task, if_match=if_match, current=current)


def _checked_if_match(if_match: str | None, *, row_id: str, etag: str) -> str:
    """The If-Match to act under: the client's (412 now if it is stale), else the version just compared with."""
    wanted = rest_if_match(if_match, row_id=row_id)
    if if_match_fails(etag, wanted):
        raise PreconditionFailed("The Task has changed since you read it. Fetch it again.")
    return wanted or etag


def _load(schema: type[Schema] | None, data: dict[str, Any], fhir_path: Any) -> dict[str, Any]:
    """The action's body through the REST API's own schema; its refusals told at the Task's elements."""
    try:
        return schema().load(data) if schema else {}
    except ValidationError as invalid:
        raise InvalidData("The Task does not carry what the action needs.",
                          errors=_at_fhir_paths(fhir_path, flatten_messages(invalid.messages))) from None


def _update_referral_task(req: FhirRequest, *, task_id: str, task: Any, if_match: str | None,
                          current: tuple[ReferralStatus, str, bool]) -> dict[str, Any]:
    status, etag, epikrise_pending = current
    task = check_task(task, task_id=task_id, handover=False)
    acting_if_match = _checked_if_match(if_match, row_id=task_id, etag=etag)
    change = read_change(current=status, task=task, epikrise_pending=epikrise_pending)
    if change.action is not None:
        data = _load(ACTION_BODIES[change.action], change.data, change.fhir_path)
        try:
            take_action(req.uow, clock=req.deps.clock, deadlines=req.deps.deadlines, referrers=req.deps.referrers,
                        municipalities=req.deps.municipalities, actor=req.actor, referral_id=task_id,
                        action=change.action, data=data, if_match=acting_if_match)
        except InvalidData as invalid:
            raise InvalidData(invalid.detail, errors=_at_fhir_paths(change.fhir_path, invalid.errors or {})) from None
    return referral_task_of(req, task_id)


def _update_handover_task(req: FhirRequest, *, task_id: str, task: Any, if_match: str | None,
                          current: tuple[HandoverStatus, str, dict[str, str | None]]) -> dict[str, Any]:
    status, etag, assigned_to = current
    task = check_task(task, task_id=task_id, handover=True)
    acting_if_match = _checked_if_match(if_match, row_id=task_id, etag=etag)
    change = read_handover_change(current=status, assigned_to=assigned_to, task=task)
    if change.action is not None:
        data = _load(STEP_BODIES[change.action], change.data, change.fhir_path)
        try:
            act_on_handover(req.uow, req.deps.clock, actor=req.actor, handover_id=task_id, action=change.action,
                            data=data, if_match=acting_if_match, deadlines=req.deps.deadlines)
        except InvalidData as invalid:
            raise InvalidData(invalid.detail, errors=_at_fhir_paths(change.fhir_path, invalid.errors or {})) from None
    return handover_task_of(req, task_id)


def _at_fhir_paths(fhir_path: Any, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    located: dict[str, list[str]] = {}
    for body_field, messages in errors.items():
        located.setdefault(fhir_path(body_field), []).extend(messages)
    return located
