"""``{{name}}`` variables in parameter and body values, resolved before a request is prepared.

Values come from the collection's variables, overridden by the environment of the workspace
in use, plus ``{{base_url}}`` (the workspace's address) and a few generated ones
(``{{$guid}}``, ``{{$timestamp}}``, ``{{$isoTimestamp}}``, ``{{$randomInt}}``, as Postman
names them). A name with no value is reported as a :class:`ValidationError` under the
field that uses it, before anything is sent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import Draft

BASE_URL = "base_url"
BUILTIN_NAMES = frozenset({BASE_URL})
DYNAMIC_NAMES = frozenset({"$guid", "$uuid", "$timestamp", "$isoTimestamp", "$randomInt"})

# Letters, digits, _ . - and a leading $ for generated values; spaces inside {{ }} are allowed.
VARIABLE_RE = re.compile(r"\{\{\s*(\$?[A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

# Names under which people tend to paste credentials; these never get a saved value.
_SECRET_RE = re.compile(r"(token|authori[sz]ation|api[_\-.]?key|password|passwd|secret)", re.I)


def is_valid_name(name: str) -> bool:
    """Whether ``name`` can be written as ``{{name}}`` (letters, digits, ``_``, ``.``, ``-``)."""
    return bool(_NAME_RE.match(name))


def looks_secret(name: str) -> bool:
    """Whether a variable called ``name`` would hold a credential (``token``, ``api_key``…)."""
    return bool(_SECRET_RE.search(name))


def check_variables(variables: Mapping[str, Any], *, where: str = "variables") -> None:
    """Raise :class:`ValidationErrors` for names that cannot be used or values that are secrets.

    A token must live in the keyring only: a variable named like one may exist (Postman
    files have ``token``), but only with an empty value.
    """
    errors = []
    for name, value in variables.items():
        if not isinstance(name, str) or not is_valid_name(name):
            errors.append(
                ValidationError(
                    f"{name!r} cannot be used as a variable name: use letters, digits, _ . -",
                    (where,),
                )
            )
        elif name in BUILTIN_NAMES:
            errors.append(
                ValidationError(
                    f"{{{{{name}}}}} comes from the workspace and cannot be set here", (where, name)
                )
            )
        elif looks_secret(name) and value not in (None, ""):
            errors.append(
                ValidationError(
                    f"{name} looks like a secret: tokens are kept in the keyring, never in a "
                    "file, so leave its value empty",
                    (where, name),
                )
            )
        elif not isinstance(value, str | int | float | bool):
            errors.append(ValidationError("must be text or a number", (where, name)))
    if errors:
        raise ValidationErrors(errors)


def scope(
    collection: Mapping[str, Any] | None = None,
    environment: Mapping[str, Any] | None = None,
    *,
    base_url: str | None = None,
) -> dict[str, Any]:
    """The values a request sees: the collection's, then the environment's, then built-ins."""
    out: dict[str, Any] = dict(collection or {})
    out.update(environment or {})
    if base_url:
        out[BASE_URL] = base_url
    return out


def names_in(value: Any) -> list[str]:
    """Every ``{{name}}`` used in ``value`` (text, or lists and dicts of text), first-seen order."""
    seen: dict[str, None] = {}
    for _path, text in _strings(value, ()):
        for m in VARIABLE_RE.finditer(text):
            seen.setdefault(m[1], None)
    return list(seen)


def unresolved(draft: Draft, variables: Mapping[str, Any]) -> list[ValidationError]:
    """One error per field (or nested value) that uses a variable with no value."""
    errors = []
    # Parameters and body fields share the namespace the form shows errors in.
    for values in (draft.params, draft.body):
        for name, value in values.items():
            for path, text in _strings(value, (name,)):
                missing = [
                    m[1]
                    for m in VARIABLE_RE.finditer(text)
                    if m[1] not in variables and m[1] not in DYNAMIC_NAMES
                ]
                if missing:
                    errors.append(ValidationError(_missing_message(missing), path))
    return errors


def resolve_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every known ``{{name}}`` replaced; unknown names are left as they are.

    A string that is nothing but one variable takes the variable's value as it is (so a
    number stays a number); elsewhere the value is put into the text.
    """
    if isinstance(value, str):
        whole = VARIABLE_RE.fullmatch(value.strip()) if "{{" in value else None
        if whole is not None:
            found, result = _lookup(whole[1], variables)
            return result if found else value
        if "{{" not in value:
            return value

        def sub(m: re.Match[str]) -> str:
            found, result = _lookup(m[1], variables)
            return _text(result) if found else m[0]

        return VARIABLE_RE.sub(sub, value)
    if isinstance(value, list):
        return [resolve_value(x, variables) for x in value]
    if isinstance(value, tuple):
        return tuple(resolve_value(x, variables) for x in value)
    if isinstance(value, dict):
        return {k: resolve_value(x, variables) for k, x in value.items()}
    return value


def resolve_draft(draft: Draft, variables: Mapping[str, Any]) -> Draft:
    """A copy of ``draft`` with its variables filled in.

    Raises :class:`ValidationErrors` with one entry per field that uses a variable with no
    value, naming the variable, so nothing half-filled is sent.
    """
    errors = unresolved(draft, variables)
    if errors:
        raise ValidationErrors(errors)
    return replace(
        draft,
        params={k: resolve_value(v, variables) for k, v in draft.params.items()},
        body={k: resolve_value(v, variables) for k, v in draft.body.items()},
    )


def _missing_message(names: list[str]) -> str:
    listed = ", ".join(f"{{{{{n}}}}}" for n in names)
    if len(names) == 1:
        return (
            f"uses {listed}, which has no value: set it in the collection's variables or "
            "the workspace's environment"
        )
    return (
        f"uses {listed}, which have no value: set them in the collection's variables or "
        "the workspace's environment"
    )


def _lookup(name: str, variables: Mapping[str, Any]) -> tuple[bool, Any]:
    if name in variables:
        return True, variables[name]
    if name in ("$guid", "$uuid"):
        import uuid

        return True, str(uuid.uuid4())
    if name == "$timestamp":
        return True, str(int(datetime.now(UTC).timestamp()))
    if name == "$isoTimestamp":
        return True, datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if name == "$randomInt":
        return True, str(random.randint(0, 1000))  # test data, not a secret
    return False, None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _strings(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
