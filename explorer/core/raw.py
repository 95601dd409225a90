"""Raw mode: a draft's parameters as a query string and its body as JSON text, both ways.

What the form holds and what the raw editors show are the same values; these functions
turn one into the other. Text that cannot be read raises :class:`ValidationError` with
line and column, and the caller leaves the form as it was.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from explorer.core.errors import ValidationError
from explorer.core.request import NULL, is_unset

# Kept readable in the raw editor; '+' is encoded so it never turns into a space.
_SAFE = ":/@,;!*'()~"


def params_to_query(params: dict[str, Any]) -> str:
    """``{"urn": "tel:+250…", "uuid": [a, b]}`` → ``urn=tel:%2B250…&uuid=a&uuid=b``."""
    parts = []
    for name, value in params.items():
        if is_unset(value) or value is NULL:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            parts.append(f"{quote(name, safe='')}={quote(text, safe=_SAFE)}")
    return "&".join(parts)


def query_to_params(text: str) -> dict[str, Any]:
    """The reverse of :func:`params_to_query`; a repeated name becomes a list.

    A literal '+' is kept as a plus (people paste ``urn=tel:+250…``), so spaces must be
    written ``%20``.
    """
    out: dict[str, Any] = {}
    cleaned = text.strip().lstrip("?")
    if not cleaned:
        return out
    for index, piece in enumerate(cleaned.replace("\n", "&").split("&")):
        if not piece.strip():
            continue
        name, sep, value = piece.partition("=")
        name = unquote(name.strip())
        if not name:
            raise ValidationError(f"part {index + 1} of the query ({piece!r}) has no name")
        if not sep:
            raise ValidationError(f"{name} has no value: write {name}=…")
        value = unquote(value)
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def body_to_text(body: dict[str, Any]) -> str:
    """The body fields that are set, as pretty JSON (empty text when there are none)."""
    shown = {k: (None if v is NULL else v) for k, v in body.items() if not is_unset(v)}
    return json.dumps(shown, indent=2, ensure_ascii=False) if shown else ""


def text_to_body(text: str) -> dict[str, Any]:
    """JSON text → body fields; ``null`` values become :data:`NULL` (sent as null)."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"Line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValidationError("the JSON nests too deeply to read") from None
    if not isinstance(data, dict):
        raise ValidationError('the body must be a JSON object: { "name": … }')
    return {k: (NULL if v is None else v) for k, v in data.items()}
