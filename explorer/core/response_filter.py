"""Filtering a response with an expression: what the body view, the table and export show.

The expressions are JMESPath, through the ``jmespath`` library, rather than jq. JMESPath has
a written specification with a compliance suite, and its Python library is pure Python,
small and well kept (the AWS command line and boto3 depend on it): nothing to compile or
bundle for each platform, as jq's bindings would need. An expression only selects and
reshapes data, so it cannot loop forever, touch files or run code, and a parse error says
at which character it went wrong, which the filter line shows in place.

Two functions are added to the language, for the shapes RapidPro's exports use:
``run_results(runs)`` (one row per run and result) and ``contact_rows(contacts)`` (name,
URNs and each field as a column). The presets the app ships are built on them.
No Qt here: the window runs :func:`apply` on a worker thread for large bodies.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath import exceptions as jp_errors
from jmespath import functions

from explorer.core.errors import ExplorerError

log = logging.getLogger(__name__)


class FilterError(ExplorerError):
    """An expression that cannot be used; ``position`` is the character it fails at, or -1."""

    def __init__(self, message: str, position: int = -1) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Preset:
    """A filter the app ships for one endpoint."""

    endpoint: str
    label: str
    expression: str


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)


class _Functions(functions.Functions):
    """JMESPath's functions plus the two that RapidPro's export shapes need."""

    @functions.signature({"types": ["array"]})
    def _func_run_results(self, runs: list[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for run in runs:
            if not isinstance(run, dict):
                continue
            contact = run.get("contact") or {}
            flow = run.get("flow") or {}
            values = run.get("values") or {}
            common = {
                "run": run.get("uuid"),
                "contact": contact.get("name") if isinstance(contact, dict) else contact,
                "contact_uuid": contact.get("uuid") if isinstance(contact, dict) else None,
                "flow": flow.get("name") if isinstance(flow, dict) else flow,
            }
            for key, given in values.items() if isinstance(values, dict) else ():
                result = given if isinstance(given, dict) else {"value": given}
                rows.append(
                    {
                        **common,
                        "result_key": key,
                        "name": result.get("name"),
                        "category": result.get("category"),
                        "value": _text(result.get("value")),
                        "input": _text(result.get("input")),
                        "time": result.get("time"),
                    }
                )
        return rows

    @functions.signature({"types": ["array"]})
    def _func_contact_rows(self, contacts: list[Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for contact in contacts:
            if not isinstance(contact, dict):
                continue
            urns = contact.get("urns") or []
            shown = [u if isinstance(u, str) else json.dumps(u) for u in urns]
            row: dict[str, Any] = {
                "uuid": contact.get("uuid"),
                "name": contact.get("name"),
                "urns": ", ".join(shown),
            }
            fields = contact.get("fields") or {}
            for key, value in fields.items() if isinstance(fields, dict) else ():
                row.setdefault(key, value)  # a field named "name" never hides the name
            rows.append(row)
        return rows


_OPTIONS = jmespath.Options(custom_functions=_Functions())

PRESETS: tuple[Preset, ...] = (
    Preset("runs", "One row per run and result", "run_results(results)"),
    Preset("contacts", "Name, URNs and each field as a column", "contact_rows(results)"),
    Preset(
        "messages",
        "Contact, direction, text, status, time",
        "results[].{contact: contact.name, direction: direction, text: text,"
        " status: status, time: created_on}",
    ),
)


def presets_for(endpoint: str | None) -> list[Preset]:
    return [p for p in PRESETS if p.endpoint == endpoint]


@dataclass(frozen=True)
class Compiled:
    """A checked expression, ready to apply to any number of bodies."""

    text: str
    parsed: Any

    def apply(self, data: Any) -> Any:
        try:
            return self.parsed.search(data, options=_OPTIONS)
        except jp_errors.JMESPathTypeError as exc:
            raise FilterError(
                f"{exc.function_name}() cannot take {_a(exc.actual_type)} here"
                f" (it needs {' or '.join(exc.expected_types)})"
            ) from None
        except jp_errors.ArityError as exc:
            raise FilterError(
                f"{exc.function_name}() takes {exc.expected_arity} value"
                f"{'s' if exc.expected_arity != 1 else ''}, not {exc.actual_arity}",
                _function_position(self.text, exc.function_name),
            ) from None
        except jp_errors.UnknownFunctionError as exc:
            name = str(exc).removeprefix("Unknown function: ").removesuffix("()")
            raise FilterError(
                f"There is no function called {name}()", _function_position(self.text, name)
            ) from None
        except jp_errors.JMESPathError as exc:
            raise FilterError(f"This expression cannot be applied: {exc}") from None


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _function_position(text: str, name: str) -> int:
    m = re.search(rf"\b{re.escape(name)}\s*\(", text)
    return m.start() if m else -1


def compile_filter(text: str) -> Compiled:
    """Check an expression; raises :class:`FilterError` saying what is wrong and where."""
    if not text.strip():
        raise FilterError("Type an expression, such as results[].name")
    try:
        return Compiled(text, jmespath.compile(text))
    except jp_errors.IncompleteExpressionError:
        raise FilterError("The expression stops before it is complete", len(text)) from None
    except jp_errors.LexerError as exc:
        position = int(exc.lex_position)
        why = str(exc.message or "Unexpected character").rstrip(".")
        if why.startswith("Unclosed "):
            why = f"{why.split()[1]} is opened but never closed"
        raise FilterError(f"{why} at character {position + 1}", position) from None
    except jp_errors.ParseError as exc:
        position = int(exc.lex_position)
        token = exc.token_value
        what = f"“{token}”" if token not in (None, "") else "the end"
        raise FilterError(f"Unexpected {what} at character {position + 1}", position) from None
    except jp_errors.JMESPathError as exc:
        raise FilterError(f"This is not an expression the filter understands: {exc}") from None


def apply(text: str, data: Any) -> Any:
    """The part of ``data`` an expression selects (compile and search in one)."""
    return compile_filter(text).apply(data)


def records_of(result: Any) -> list[Any] | None:
    """What the table shows for a filter's result: its rows, a single object as one row."""
    if result is None:
        return []
    if isinstance(result, list):
        return result
    if isinstance(result, dict):
        if isinstance(result.get("results"), list):
            return result["results"]
        return [result]
    return [result]


def result_bytes(result: Any) -> bytes:
    """The result as indented JSON, for the body view.

    Indented on purpose: with ``indent`` the encoder runs in Python, which lets the GUI
    thread take turns while a worker thread writes a big result (the C encoder would hold
    the interpreter until it is done).
    """
    return json.dumps(result, indent=2, ensure_ascii=False).encode("utf-8")
