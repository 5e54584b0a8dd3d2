"""The flask-smorest Api, documenting every error as what it is: RFC 9457 problem+json."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from referral_service.api.media_types import refuse_bodies_that_are_not_json
from referral_service.api.openapi_docs import PROBLEM_CONTENT_TYPE, OperationDocsPlugin
from referral_service.schemas.common import ProblemSchema

#: Relative: the document (and the docs page's "Try it out") works at whatever host serves it.
SERVERS = [{"url": "/", "description": "This service, at the address the document was read from"}]
DESCRIPTION = ("Referrals to child and adolescent mental health care (BUP), and the handover back to the "
               "municipality when BUP rejects or discharges. JSON in and out; errors are RFC 9457 problem+json. "
               "Single resources carry an ETag, and state-changing actions take If-Match (412 when stale).")


def _info(config: Any) -> dict[str, Any]:
    """The document's `info` beyond title and version: what it is, who answers for it, its licence (settings)."""
    contact = {"name": config.API_CONTACT_NAME, "url": config.API_CONTACT_URL, "email": config.API_CONTACT_EMAIL}
    return {"description": DESCRIPTION, "contact": {key: value for key, value in contact.items() if value},
            "license": {"name": config.API_LICENSE_NAME, "url": config.API_LICENSE_URL}}


class ProblemApi(Api):
    """flask-smorest documents its own 422 and default error responses as application/json with its
    own schema; ours are problem+json (api/problems.py), so the document says so. There is no catch-all
    `default` response: every status an operation can answer is declared (api/openapi_docs.py)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app: Flask, **kwargs: Any) -> None:
        super().init_app(app, **kwargs)
        # Before the input guard's (security/input_guard.py), which would read a form body to check it.
        refuse_bodies_that_are_not_json(app)

    def _init_spec(self, **kwargs: Any) -> None:
        kwargs["extra_plugins"] = [*(kwargs.get("extra_plugins") or ()), OperationDocsPlugin()]
        super()._init_spec(servers=SERVERS, info=_info(self._app.config["REFERRAL_CONFIG"]), **kwargs)

    def _register_pagination_header(self) -> None:
        """Not used: lists here page in their body and with `Link` (api/paging.py), not X-Pagination."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
