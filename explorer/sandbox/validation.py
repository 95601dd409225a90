"""Checks a write's body against the catalog, answering with RapidPro's 400 shapes.

Types, limits, choices, nullability and required-ness all come from the catalog's
:class:`~explorer.core.catalog.Param` declarations; the wording of each message is Django
REST framework's or RapidPro's, so a client sees what the real server would say. Parsing
that has a single right answer (URNs, languages, UUIDs) goes through
:mod:`explorer.core.values`.

Error shapes: ``{"field": ["msg"]}``; list items by index ``{"urns": {"0": ["msg"]}}``;
translations by language ``{"text": {"eng": ["msg"]}}``; object fields by key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlparse

from explorer.core.catalog import Kind, Method, Param, TypeSpec
from explorer.core.errors import ValidationError
from explorer.core.values import parse_language, parse_uuid
from explorer.sandbox.api import ApiError, Ctx, bad_request, normalize_urn
from explorer.sandbox.seed import DEFAULT_LANGUAGE

_TRUE = {"t", "y", "yes", "true", "on", "1", 1}
_FALSE = {"f", "n", "no", "false", "off", "0", 0}


class FieldError(Exception):
    """One field's problems: a list of messages, or a dict of nested ones."""

    def __init__(self, detail: list[str] | dict[str, Any]) -> None:
        super().__init__(detail)
        self.detail = detail


def fail(message: str) -> FieldError:
    return FieldError([message])


def type_name(value: Any) -> str:
    return type(value).__name__


UNIQUE = "This field must be unique."
"""DRF's answer for a name another active object of the workspace already has."""

FieldCheck = Callable[[Any], Any]
"""A serializer's own check of one field (its validators and ``validate_<field>``): takes the
value that passed the type checks, returns it (perhaps converted) or raises :class:`FieldError`."""


def validate_body(
    ctx: Ctx,
    method: Method,
    body: Any,
    *,
    update: bool,
    checked_later: frozenset[str] = frozenset(),
    checks: Mapping[str, FieldCheck] | None = None,
) -> dict[str, Any]:
    """The body's fields, checked and converted (refs become ids); raises a 400 ApiError."""
    out, errors = validate_fields(
        ctx, method, body, update=update, checked_later=checked_later, checks=checks
    )
    if errors:
        raise bad_request(errors)
    return out


def validate_fields(
    ctx: Ctx,
    method: Method,
    body: Any,
    *,
    update: bool,
    checked_later: frozenset[str] = frozenset(),
    checks: Mapping[str, FieldCheck] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that passed, converted, and every other field's errors by name.

    ``checks`` are the resource's own checks of single fields, run on each field that passed
    its type checks; resources with checks that span fields add theirs to the same errors
    before answering, so one 400 names every bad field, as a DRF serializer does. Fields in
    ``checked_later`` are not reported missing here: their serializer asks for them in its
    own ``validate()``, after every field passed (see :func:`require_fields`).
    """
    if not isinstance(body, dict):
        raise ApiError(400, {"non_field_errors": ["Request body should be a single JSON object"]})
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for param in method.fields:
        if param.name not in body:
            if param.required_for(update=update) and param.name not in checked_later:
                errors[param.name] = ["This field is required."]
            continue
        try:
            value = check(ctx, param, param.spec, body[param.name], top=True)
            own = (checks or {}).get(param.name)
            out[param.name] = own(value) if own is not None and value is not None else value
        except FieldError as exc:
            errors[param.name] = exc.detail
    return out, errors


def require_fields(data: dict[str, Any], names: tuple[str, ...]) -> None:
    """A serializer's whole-object check: the first of ``names`` missing from ``data`` is
    reported as ``Field 'name' is required.`` among the non-field errors."""
    for name in names:
        if not data.get(name):
            raise bad_request({"non_field_errors": [f"Field '{name}' is required."]})


def check(ctx: Ctx, param: Param, spec: TypeSpec, value: Any, *, top: bool = False) -> Any:
    """One value of ``param`` (``spec`` is its type, or its item type inside a list)."""
    if value == "" and top and spec.kind is Kind.REF:
        value = None  # DRF's RelatedField reads an empty string as null
    if value is None:
        if param.nullable or (not top and spec.kind is Kind.STRING):
            return None
        raise fail("This field may not be null.")
    kind = spec.kind
    if kind is Kind.STRING:
        return check_string(param, value)
    if kind is Kind.INT:
        return check_int(param, value)
    if kind is Kind.BOOL:
        if isinstance(value, str):
            value = value.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise fail("Must be a valid boolean.")
    if kind is Kind.CHOICE:
        if isinstance(value, str) and value in param.choices:
            return value
        raise fail(f'"{value}" is not a valid choice.')
    if kind is Kind.UUID:
        try:
            return parse_uuid(value)
        except ValidationError:
            raise fail("Must be a valid UUID.") from None
    if kind is Kind.URN:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise fail("Not a valid string.")
        text = str(value)
        if param.item_max_length and len(text) > param.item_max_length:
            raise fail(f"Ensure this field has no more than {param.item_max_length} characters.")
        found = normalize_urn(text)
        if found is None:
            raise fail(f"Invalid URN: {text}. Ensure phone numbers contain country codes.")
        return found
    if kind is Kind.LANGUAGE:
        return check_language(param, value)
    if kind is Kind.TRANSLATIONS:
        return check_translations(ctx, param, value)
    if kind in (Kind.DICT, Kind.STR_DICT):
        return check_dict(param, value, strings=kind is Kind.STR_DICT)
    if kind is Kind.LIST:
        return check_list(ctx, param, spec, value)
    if kind is Kind.REF:
        if spec.target == "media":
            return check_attachment(ctx, value)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise fail("Must be a string or integer")
        found = ctx.store.resolve(spec.target or "", value, param.accepts)
        if found is None:
            raise fail(f"No such object: {value}")
        return found
    if kind is Kind.JSON:
        if not isinstance(value, dict):
            raise fail("Must be a valid JSON object")
        if param.max_encoded_length and len(json.dumps(value)) > param.max_encoded_length:
            raise fail(f"Cannot exceed {param.max_encoded_length:,} characters encoded.")
        return value
    return value  # DATE, DATETIME and FILE fields are not sent as JSON by any endpoint


def check_string(param: Param, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail("Not a valid string.")
    text = str(value).strip()  # DRF's CharField trims whitespace before checking
    if not text and param.allow_blank is not True:
        raise fail("This field may not be blank.")
    if param.max_length is not None and len(text) > param.max_length:
        raise fail(f"Ensure this field has no more than {param.max_length} characters.")
    if param.min_length is not None and len(text) < param.min_length:
        raise fail(f"Ensure this field has at least {param.min_length} characters.")
    if param.format == "url":
        parsed = urlparse(text)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise fail("Enter a valid URL.")
    return text


def check_int(param: Param, value: Any) -> int:
    if isinstance(value, bool):
        raise fail("A valid integer is required.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise fail("A valid integer is required.")
    if param.minimum is not None and value < param.minimum:
        raise fail(f"Ensure this value is greater than or equal to {param.minimum}.")
    if param.maximum is not None and value > param.maximum:
        raise fail(f"Ensure this value is less than or equal to {param.maximum}.")
    return value


NOT_ALLOWED_LANGUAGE = "Not an allowed ISO 639-3 language code."


def check_language(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise fail("Not a valid string.")
    if param.name != "language":
        return check_allowed_language(param, value)
    # a contact's language: a three-letter string first, then any ISO 639-3 code
    if param.min_length and len(value) < param.min_length:
        raise fail(f"Ensure this field has at least {param.min_length} characters.")
    if param.max_length and len(value) > param.max_length:
        raise fail(f"Ensure this field has no more than {param.max_length} characters.")
    try:
        return parse_language(value)
    except ValidationError:
        raise fail("Not a valid ISO639-3 language code.") from None


def check_allowed_language(param: Param, value: str) -> str:
    """A language RapidPro lets flows and messages use (``base_language``, translation keys).

    Like its serializer field, every check runs and every failure is named together.
    """
    problems = []
    limit = param.max_length or 3
    if len(value) > limit:
        problems.append(f"Ensure this field has no more than {limit} characters.")
    if not is_allowed_language(value):
        problems.append(NOT_ALLOWED_LANGUAGE)
    if problems:
        raise FieldError(problems)
    return value


def is_allowed_language(code: Any) -> bool:
    """Exactly a code RapidPro's language list has: lower case, an ISO 639-1 equivalent."""
    try:
        return isinstance(code, str) and parse_language(code, for_translations=True) == code
    except ValidationError:
        return False


def check_dict(param: Param, value: Any, *, strings: bool) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f'Expected a dictionary of items but got type "{type_name(value)}".')
    if param.max_items is not None and len(value) > param.max_items:
        raise fail(f"Ensure this field has no more than {param.max_items} elements.")
    if not strings:
        return value
    out: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and "\0" in item:
            nested[key] = ["Null characters are not allowed."]
        elif item is None or (isinstance(item, str | int | float) and not isinstance(item, bool)):
            out[key] = None if item is None else str(item)
        else:
            nested[key] = ["Not a valid string."]
    if nested:
        raise FieldError(nested)
    return out


def check_list(ctx: Ctx, param: Param, spec: TypeSpec, value: Any) -> list[Any]:
    item = spec.base
    if not isinstance(value, list):
        raise fail(f'Expected a list of items but got type "{type_name(value)}".')
    if param.max_items is not None and len(value) > param.max_items:
        # RapidPro's LimitedManyRelatedField and ListField word it alike
        raise fail(f"Ensure this field has no more than {param.max_items} elements.")
    out: list[Any] = []
    nested: dict[str, Any] = {}
    for index, raw in enumerate(value):
        try:
            if item.kind is Kind.DICT and param.item_shape:
                out.append(check_shaped(param.item_shape, raw))
            else:
                out.append(check(ctx, param, item, raw))
        except FieldError as exc:
            if item.kind is Kind.REF:
                raise  # related-object lists report their first problem flat, as DRF does
            nested[str(index)] = exc.detail
    if nested:
        raise FieldError(nested)
    return out


def check_shaped(shape: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """An object whose keys the catalog describes in ``item_shape`` (quick replies)."""
    if not isinstance(value, dict):
        raise FieldError(
            {
                "non_field_errors": [
                    f"Invalid data. Expected a dictionary, but got {type_name(value)}."
                ]
            }
        )
    # QuickReplySerializer.run_validation checks its rules on the raw object, before its
    # fields; the message sits at the reply's index like any other problem of the item.
    rule = quick_reply_rule(value)
    if rule:
        raise fail(rule)
    out: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for key, spec in shape.items():
        if key == "rules":
            continue
        raw = value.get(key, spec.get("default"))
        if raw is None:
            continue  # left out, as RapidPro writes a quick reply without its optional parts
        if spec["type"] == "choice":
            if raw not in spec["choices"]:
                errors[key] = [f'"{raw}" is not a valid choice.']
            out[key] = raw
        else:
            if not isinstance(raw, str):
                errors[key] = ["Not a valid string."]
            elif spec.get("max_length") and len(raw) > spec["max_length"]:
                errors[key] = [
                    f"Ensure this field has no more than {spec['max_length']} characters."
                ]
            out[key] = raw
    if errors:
        raise FieldError(errors)
    return out


def quick_reply_rule(reply: Mapping[str, Any]) -> str | None:
    """The catalog's quick reply rules (prose there, code here), in RapidPro's words."""
    kind = reply.get("type", "text")
    if kind == "text" and not reply.get("text"):
        return "Quick replies of type 'text' require a 'text' value."
    if kind in ("form", "url") and not (reply.get("text") and reply.get("extra")):
        return f"Quick replies of type '{kind}' require 'text' and 'extra' values."
    if kind == "location" and reply.get("extra"):
        return "Quick replies of type 'location' cannot have an 'extra' value."
    return None


def check_translations(ctx: Ctx, param: Param, value: Any) -> dict[str, Any]:
    """A translations object, or a bare value taken as the workspace's default language.

    In RapidPro's order: the object itself, then each translation (all failures named by
    language), then how many there are, then the language codes.
    """
    value_spec = param.value_spec or TypeSpec(Kind.STRING)
    if isinstance(value, str | list):
        value = {DEFAULT_LANGUAGE: value}
    if not isinstance(value, dict):
        raise fail(f'Expected a dictionary of items but got type "{type_name(value)}".')
    if not value:
        raise fail("This dictionary may not be empty.")
    out: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for lang, item in value.items():
        try:
            out[lang] = check_translation_value(ctx, param, value_spec, item)
        except FieldError as exc:
            nested[lang] = exc.detail
    if nested:
        raise FieldError(nested)
    if param.max_languages and len(value) > param.max_languages:
        raise fail(f"Ensure this field has no more than {param.max_languages} elements.")
    unknown = {lang: [NOT_ALLOWED_LANGUAGE] for lang in value if not is_allowed_language(lang)}
    if unknown:
        raise FieldError(unknown)
    return out


def check_translation_value(ctx: Ctx, param: Param, spec: TypeSpec, item: Any) -> Any:
    if spec.kind is Kind.STRING:
        if not isinstance(item, str):
            raise fail("Not a valid string.")
        if not item.strip():
            raise fail("This field may not be blank.")
        if param.value_max_length and len(item) > param.value_max_length:
            raise fail(f"Ensure this field has no more than {param.value_max_length} characters.")
        return item
    if not isinstance(item, list):
        raise fail(f'Expected a list of items but got type "{type_name(item)}".')
    if param.value_max_items and len(item) > param.value_max_items:
        raise fail(f"Ensure this field has no more than {param.value_max_items} elements.")
    if spec.base.kind is Kind.REF and spec.base.target == "media":
        return [check_attachment(ctx, raw) for raw in item]
    if spec.base.kind is Kind.DICT and param.item_shape:
        out = []
        nested: dict[str, Any] = {}
        for index, raw in enumerate(item):
            try:
                out.append(check_shaped(param.item_shape, raw))
            except FieldError as exc:
                nested[str(index)] = exc.detail
        if nested:
            raise FieldError(nested)
        return out
    return item


_CONTENT_TYPE_URL = re.compile(r"^[a-z]+/[a-z0-9.+_-]+:https?://\S+$", re.I)


def media_url(ctx: Ctx, row: Any) -> str:
    """Where an upload is served; its file name percent-encoded, as RapidPro's storage links are."""
    return f"{ctx.origin}/media/{row['uuid']}/{quote(row['filename'])}"


def check_attachment(ctx: Ctx, raw: Any) -> str:
    """A media UUID (becomes ``type:url``) or a ``content-type:url`` string."""
    if not isinstance(raw, str):
        raise fail("Must be a string or integer")
    media = ctx.store.resolve("media", raw)
    if media is not None:
        row = ctx.db.row("SELECT uuid, content_type, filename FROM media WHERE id = ?", (media,))
        if row is not None:
            return f"{row['content_type']}:{media_url(ctx, row)}"
    if _CONTENT_TYPE_URL.match(raw):
        return raw
    raise fail(f"No such object: {raw}")


def check_actions(
    method: Method,
    body: Mapping[str, Any],
    action_name: str,
    *,
    wording: str = "should also specify a",
) -> None:
    """The catalog's needs/forbids for ``action_name`` (RapidPro reports them as non-field errors).

    A needed field counts as given when its key is present and, unless the field is
    nullable (``assignee``: null unassigns), its value is not null.
    """
    action = method.action(action_name)
    if action is None:
        return
    for name in action.needs:
        nullable = method.field(name).nullable
        if name not in body or (body[name] is None and not nullable):
            raise ApiError(
                400,
                {"non_field_errors": [f'For action "{action_name}" you {wording} {_label(name)}']},
            )
    if action.needs_one_of and not any(body.get(n) for n in action.needs_one_of):
        name = action.needs_one_of[0]
        raise ApiError(
            400,
            {"non_field_errors": [f'For action "{action_name}" you {wording} {_label(name)}']},
        )
    for name in action.forbids:
        if body.get(name) is not None:
            raise ApiError(
                400,
                {
                    "non_field_errors": [
                        f'For action "{action_name}" you should not specify a {_label(name)}'
                    ]
                },
            )


def _label(field_name: str) -> str:
    # label_name is "a label" too: RapidPro words both label fields the same way.
    return field_name.removesuffix("_name")


_NAME_BAD_CHARS = ('"', "\\")


def check_name(value: str) -> str | None:
    """RapidPro's NameValidator for groups, labels, campaigns and topics."""
    for ch in _NAME_BAD_CHARS:
        if ch in value:
            return f"Cannot contain the character: {ch}"
    if "\0" in value:
        return "Cannot contain null characters."
    return None
