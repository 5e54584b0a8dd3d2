"""Input no view can take is refused before any view runs, as 422 (or 400 where it is not JSON at all).

- A JSON body nested deeper than MAX_JSON_DEPTH, measured on the raw bytes before anything parses it (Python's
  parser recurses once per level: 100 000 levels would end in RecursionError).
- Text the databases cannot hold: a NUL character (PostgreSQL stores none) or a lone UTF-16 surrogate (JSON's
  "\\ud800": no UTF-8 encoding exists for it), in any JSON key or value, form field or query argument; and a form
  body whose bytes are not UTF-8.
- A JSON body that does not parse is 400 here, whatever the reason (the API's parser lets some through as 500).

The refusal names where the text is, never the text itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from werkzeug.exceptions import BadRequest

from referral_service.errors import InvalidData

NUL = "\x00"
FORM_TYPE = "application/x-www-form-urlencoded"

#: A JSON string (up to its closing quote, or to the end when it has none) or one bracket. Brackets inside strings
#: are skipped with the string; an escaped quote does not end one.
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]', re.DOTALL)


class UnusableText(InvalidData):
    """Text that cannot be stored; the web tells people in Norwegian (web/error_pages.py)."""


class TooDeeplyNested(InvalidData):
    """A JSON body nested deeper than the service allows."""


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """True when the JSON text in `body` opens more than `limit` arrays or objects inside each other. It does not
    check that the text is JSON; the parser does, once this has said the depth is safe."""
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _flaw(text: str) -> str | None:
    """What makes this text unstorable, as an English sentence; None when nothing does."""
    if NUL in text:
        return "Must not contain NUL characters."
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "Must not contain lone UTF-16 surrogates (invalid Unicode)."
    return None


def _walk(value: Any, root: str) -> Iterator[tuple[str, str]]:
    """(path, flaw) for every key or string in a parsed JSON value, without recursion: depth is checked before
    parsing, but the walk must not rely on that."""
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if (flaw := _flaw(item)) is not None:
                yield path or "_body", flaw
        elif isinstance(item, dict):
            for key, inner in item.items():
                key_text = str(key)
                if (flaw := _flaw(key_text)) is not None:
                    yield path or "_body", f"A key here: {flaw[:1].lower()}{flaw[1:]}"
                    continue
                stack.append((f"{path}.{key_text}" if path else key_text, inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(item))


def _form_is_utf8(body: bytes) -> bool:
    """Whether every name and value of a url-encoded form decodes as UTF-8 (werkzeug would replace what does not
    with U+FFFD, and the replacement would be stored as if typed)."""
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parsed_json() -> Any:
    """The JSON body, parsed once for every reader after us; 400 when it is no JSON (bad syntax, not UTF-8, or a
    number with more digits than Python turns into an int: an error the API's own parser would not catch)."""
    try:
        return request.get_json()
    except BadRequest:
        raise BadRequest("The request body is not valid JSON.") from None


def check_request_input(*, max_json_depth: int) -> None:
    """Refuse the request (422) when its body or arguments hold what cannot be parsed safely or stored."""
    if request.is_json:
        body = request.get_data(cache=True)
        if nesting_exceeds(body, max_json_depth):
            raise TooDeeplyNested(f"The JSON body is nested more than {max_json_depth} levels deep.",
                                  errors={"_body": [f"Must not be nested more than {max_json_depth} levels deep."]})
    elif request.mimetype == FORM_TYPE and not _form_is_utf8(request.get_data(cache=True)):
        raise UnusableText("The form body is not valid UTF-8.", errors={"_body": ["Must be UTF-8."]})
    found: dict[str, list[str]] = {}
    sources: list[Any] = [request.args.to_dict(flat=False), request.form.to_dict(flat=False)]
    if request.is_json and request.get_data(cache=True).strip():
        sources.append(_parsed_json())
    for source in sources:
        for path, flaw in _walk(source, ""):
            found.setdefault(path, []).append(flaw)
    if found:
        raise UnusableText("Text may not contain NUL characters or invalid Unicode.", errors=found)


def install_input_guard(app: Flask) -> None:
    max_depth = int(app.config.get("MAX_JSON_DEPTH", 32))

    @app.before_request
    def _refuse_unusable_input() -> None:
        check_request_input(max_json_depth=max_depth)
