"""The flask-smorest Api, documenting every error as what it is: RFC 9457 problem+json."""

from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.utils import prepare_response

from referral_service.schemas.common import ProblemSchema

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemApi(Api):
    """flask-smorest documents its own 422 and default error responses as application/json with its
    own schema; ours are problem+json (api/problems.py), so the document says so."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
