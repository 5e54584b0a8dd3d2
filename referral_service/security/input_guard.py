"""Text the databases cannot hold is refused before any view runs: PostgreSQL stores no NUL character."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from referral_service.errors import InvalidData

NUL = "\x00"


def _paths_with_nul(value: Any, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "_body"] if NUL in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found += [where] if NUL in str(key) else _paths_with_nul(item, where)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _paths_with_nul(item, f"{path}.{i}")]
    return []


def install_input_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters() -> None:
        found = _paths_with_nul(request.args.to_dict(flat=False)) + _paths_with_nul(request.form.to_dict(flat=False))
        if request.is_json:
            found += _paths_with_nul(request.get_json(silent=True))
        if found:
            raise InvalidData("Text may not contain NUL characters.",
                              errors={path: ["Must not contain NUL characters."] for path in found})
