"""The path of a request as the logs may keep it: a client that puts an identity number in a URL (by mistake, or
probing) must not put it in the logs. Eleven digits in a row, or six and five split by a space, are masked."""

from __future__ import annotations

import re

#: Six digits and five, apart from other digits, with or without a space (raw or %-encoded) between them.
_NUMBER_IN_PATH = re.compile(r"(?<![0-9])[0-9]{6}(?:%20|\+| )?[0-9]{5}(?![0-9])")
MASK = "***********"


def path_for_log(path: str | None) -> str | None:
    """`path` with every identity-number-shaped run of digits masked."""
    return _NUMBER_IN_PATH.sub(MASK, path) if path else path
