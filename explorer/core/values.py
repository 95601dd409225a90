"""Values RapidPro's API takes, each able to parse what a person typed and format itself.

URNs, date-times, dates, language codes, translations, UUIDs and the plain scalars and
containers a form can hold. Every parser takes text (or the already-typed value), returns the
JSON value to send and raises :class:`~explorer.core.errors.ValidationError` with a sentence
that names the bad value. The facts (URN path rules, the date format, the language rules)
come from RapidPro's API v2 and are written down here, so nothing is read at run time.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from explorer.core.errors import ValidationError

__all__ = [
    "DATETIME_EXAMPLE",
    "DATETIME_FORMAT",
    "DATE_EXAMPLE",
    "DATE_FORMAT",
    "MAX_TRANSLATION_LANGUAGES",
    "MAX_URN_LENGTH",
    "URN_SCHEMES",
    "Language",
    "Urn",
    "UrnScheme",
    "all_languages",
    "format_date",
    "format_datetime",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_datetime",
    "parse_dict",
    "parse_int",
    "parse_json",
    "parse_language",
    "parse_list",
    "parse_reference",
    "parse_str_or_none",
    "parse_string",
    "parse_translations",
    "parse_uuid",
    "scheme_for",
    "search_languages",
    "translation_languages",
]


def _show(value: object, limit: int = 60) -> str:
    """A value as a message quotes it: JSON-style, so control characters stay visible."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif value is None or isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        text = repr(value)
    # A pasted megabyte would drown the message; the start is enough to recognise it.
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _clip(text: str, limit: int = 60) -> str:
    """Unquoted text shortened for a message (used where the value reads better bare)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# URNs
# ---------------------------------------------------------------------------------------------

MAX_URN_LENGTH = 255
"""RapidPro refuses a URN (``scheme:path#display``) longer than this."""


@dataclass(frozen=True)
class UrnScheme:
    """One URN scheme RapidPro knows: its name, what it holds, and a hint for a form."""

    scheme: str
    label: str
    e164: bool
    hint: str


URN_SCHEMES: tuple[UrnScheme, ...] = (
    UrnScheme(
        "tel",
        "phone number",
        e164=True,
        hint="an international phone number with its country code, e.g. +250788123123",
    ),
    UrnScheme(
        "whatsapp",
        "WhatsApp id",
        e164=True,
        hint="the phone number's digits without +, e.g. 250788123123, or an id like RW.abc123",
    ),
    UrnScheme(
        "bsuid",
        "WhatsApp business-scoped user id",
        e164=False,
        hint="a country code, a dot and letters or digits, e.g. RW.a1b2c3",
    ),
    UrnScheme("mailto", "email address", e164=False, hint="an email address, e.g. ana@example.org"),
    UrnScheme(
        "ext", "external identifier", e164=False, hint="any identifier of your own, e.g. crm-1234"
    ),
    UrnScheme(
        "facebook",
        "Facebook id",
        e164=False,
        hint="a numeric page-scoped id, e.g. 1234567890, or ref: and a referral",
    ),
    UrnScheme(
        "fcm", "Firebase Cloud Messaging id", e164=False, hint="the app's Firebase registration id"
    ),
    UrnScheme(
        "freshchat",
        "Freshchat id",
        e164=False,
        hint="two UUIDs separated by a slash: channel UUID/user UUID",
    ),
    UrnScheme("instagram", "Instagram id", e164=False, hint="a numeric id, e.g. 17841400000000000"),
    UrnScheme("jiochat", "JioChat id", e164=False, hint="the JioChat user id"),
    UrnScheme("line", "LINE id", e164=False, hint="the LINE user id, e.g. U1234abcd"),
    UrnScheme("rocketchat", "RocketChat id", e164=False, hint="the RocketChat user id"),
    UrnScheme("slack", "Slack id", e164=False, hint="the Slack user id, e.g. U0123ABCD"),
    UrnScheme("telegram", "Telegram id", e164=False, hint="a numeric chat id, e.g. 123456789"),
    UrnScheme(
        "twitter",
        "Twitter handle",
        e164=False,
        hint="a handle of up to 15 letters, digits or _, e.g. rapidpro",
    ),
    UrnScheme(
        "twitterid",
        "Twitter numeric id",
        e164=False,
        hint="a numeric id, optionally #handle for display, e.g. 1234567#rapidpro",
    ),
    UrnScheme(
        "viber",
        "Viber id",
        e164=False,
        hint="up to 24 letters, digits or _ = + /, e.g. xy5/5y6O81+/kbWHpLhBoA==",
    ),
    UrnScheme("vk", "VK id", e164=False, hint="the VK user id"),
    UrnScheme("webchat", "Webchat id", e164=False, hint="the webchat session id"),
    UrnScheme("wechat", "WeChat id", e164=False, hint="the WeChat open id"),
)
"""Every URN scheme RapidPro's API v2 accepts, in the order a scheme chooser lists them."""

_SCHEMES_BY_NAME: dict[str, UrnScheme] = {s.scheme: s for s in URN_SCHEMES}

# The example a person is shown when a phone number lacks its country code; Rwanda because
# it is the example RapidPro's own docs use.
_TEL_EXAMPLE_CC = "+250"
_TEL_EXAMPLE = "+250788123123"

_ASCII_DIGITS = re.compile(r"[0-9]+")
_COUNTRY_SCOPED_ID = re.compile(r"([A-Za-z]{2})\.([A-Za-z0-9]{1,128})")
_TWITTER_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_VIBER_ID = re.compile(r"[A-Za-z0-9_=+/]{1,24}")
_SCHEME_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_UUID_TEXT = re.compile(
    r"\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?"
    r"([0-9a-fA-F]{12})\}?"
)


def scheme_for(name: str) -> UrnScheme:
    """The scheme called ``name`` (any case), or a ValidationError listing the known ones."""
    found = _SCHEMES_BY_NAME.get(name.strip().lower()) if isinstance(name, str) else None
    if found is None:
        known = ", ".join(s.scheme for s in URN_SCHEMES)
        raise ValidationError(
            f"{_show(name)} is not a URN scheme RapidPro knows; use one of {known}"
        )
    return found


@dataclass(frozen=True)
class Urn:
    """A contact URN such as ``tel:+250788123123`` or ``twitterid:1234#rapidpro``.

    Build one with :meth:`parse` (or :meth:`from_parts` for a form with a scheme chooser) to
    have the path checked and normalised the way RapidPro stores it; ``str(urn)`` is what
    goes on the wire.
    """

    scheme: str
    path: str
    display: str | None = None

    def __str__(self) -> str:
        text = f"{self.scheme}:{self.path}"
        return f"{text}#{self.display}" if self.display else text

    @classmethod
    def parse(cls, text: str, default_country: str | None = None) -> Urn:
        """Check and normalise ``scheme:path[#display]``.

        ``default_country`` (ISO 3166 alpha-2, e.g. ``"RW"``) lets a local phone number such
        as ``tel:0788 123 123`` through, as the workspace's country does on the server.
        """
        if not isinstance(text, str):
            raise ValidationError(
                f"{_show(text)} is not a URN: give text such as tel:+250788123123"
            )
        stripped = text.strip()
        if not stripped:
            raise ValidationError("The URN is empty: give one such as tel:+250788123123")
        scheme, sep, rest = stripped.partition(":")
        scheme = scheme.strip()
        if not sep or not _SCHEME_LIKE.fullmatch(scheme):
            raise ValidationError(_missing_scheme_message(stripped))
        return cls._build(scheme, rest, default_country, shown=stripped)

    @classmethod
    def from_parts(cls, scheme: str, path: str, default_country: str | None = None) -> Urn:
        """A URN from a scheme chooser and a path box; a path that repeats the scheme is fine."""
        found = scheme_for(scheme)
        if not isinstance(path, str):
            raise ValidationError(f"{_show(path)} is not a {found.label}: {found.hint}")
        path = path.strip()
        # People paste whole URNs into the path box; don't make them delete the prefix.
        if path.lower().startswith(found.scheme + ":"):
            path = path[len(found.scheme) + 1 :]
        return cls._build(found.scheme, path, default_country, shown=f"{found.scheme}:{path}")

    @classmethod
    def _build(cls, scheme: str, rest: str, default_country: str | None, shown: str) -> Urn:
        known = _SCHEMES_BY_NAME.get(scheme.lower())
        if known is None:
            names = ", ".join(s.scheme for s in URN_SCHEMES)
            raise ValidationError(
                f"{_show(scheme)} in {_clip(shown)} is not a URN scheme RapidPro knows; "
                f"use one of {names}"
            )
        path, _, display = rest.partition("#")
        path = path.strip()
        display = display.strip()
        if not path:
            raise ValidationError(f"{_clip(shown)} has nothing after the scheme: {known.hint}")
        path = _normalise_path(known, path, default_country, shown)
        urn = cls(known.scheme, path, display or None)
        if len(str(urn)) > MAX_URN_LENGTH:
            raise ValidationError(
                f"{_clip(shown)} is {len(str(urn))} characters long; "
                f"a URN can be at most {MAX_URN_LENGTH}"
            )
        return urn


def _missing_scheme_message(text: str) -> str:
    suggestion = ""
    if "@" in text:
        suggestion = f", e.g. mailto:{_clip(text)}"
    elif text[:1] in "+0123456789":
        suggestion = f", e.g. tel:{_clip(text)}"
    return f"{_show(text)} has no scheme: add a scheme such as tel: or mailto:{suggestion}"


def _normalise_path(known: UrnScheme, path: str, default_country: str | None, shown: str) -> str:
    scheme = known.scheme
    if scheme == "tel":
        return _normalise_tel(path, default_country, shown)
    if scheme == "whatsapp":
        return _normalise_whatsapp(path, shown)
    if scheme == "bsuid":
        match = _COUNTRY_SCOPED_ID.fullmatch(path)
        if not match:
            raise ValidationError(f"{_clip(shown)} is not a business-scoped user id: {known.hint}")
        return f"{match[1].upper()}.{match[2]}"
    if scheme == "mailto":
        return _normalise_email(path, shown)
    if scheme == "facebook":
        if _ASCII_DIGITS.fullmatch(path):
            return path
        if path.startswith("ref:") and path[4:].strip():
            return path
        raise ValidationError(
            f"{_clip(shown)} is not a Facebook id: use the numeric id, or ref: and a referral"
        )
    if scheme == "freshchat":
        return _normalise_freshchat(path, shown)
    if scheme in ("instagram", "telegram"):
        if not _ASCII_DIGITS.fullmatch(path):
            raise ValidationError(f"{_clip(shown)} is not a {known.label}: use digits only")
        return path
    if scheme == "twitter":
        handle = path.removeprefix("@")
        if not _TWITTER_HANDLE.fullmatch(handle):
            raise ValidationError(
                f"{_clip(shown)} is not a Twitter handle: "
                "use up to 15 letters, digits or underscores"
            )
        return handle.lower()
    if scheme == "twitterid":
        if not _ASCII_DIGITS.fullmatch(path):
            raise ValidationError(
                f"{_clip(shown)} is not a Twitter numeric id: use digits only, "
                "optionally followed by #handle"
            )
        return path
    if scheme == "viber":
        if not _VIBER_ID.fullmatch(path):
            raise ValidationError(
                f"{_clip(shown)} is not a Viber id: use up to 24 letters, digits or _ = + /"
            )
        return path
    # The remaining schemes are opaque ids the channel hands out; RapidPro takes any path.
    return path


def _normalise_tel(path: str, default_country: str | None, shown: str) -> str:
    import phonenumbers  # ~40 ms: loaded when a number is first read

    region: str | None = None
    if default_country:
        region = default_country.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(
                f"{_show(default_country)} is not a country code for phone numbers; "
                "use two letters such as RW"
            )
    # phonenumbers reads letters as keypad digits (1-800-FLOWERS) and words as extensions;
    # a RapidPro contact's number never means either, so refuse rather than guess.
    if any(c.isalpha() for c in path):
        raise ValidationError(
            f"{_clip(shown)} is not a phone number: use digits only, e.g. {_TEL_EXAMPLE}"
        )
    try:
        number = phonenumbers.parse(path, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and not (
            path.startswith("+")
        ):
            raise ValidationError(
                f"{_clip(shown)} is not a full international number: add the country code, "
                f"e.g. {_tel_example(path)}"
            ) from None
        raise ValidationError(
            f"{_clip(shown)} is not a phone number: use an international number, "
            f"e.g. {_TEL_EXAMPLE}"
        ) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    why = {
        phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
        phonenumbers.ValidationResult.TOO_LONG: "it is too long",
        phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: (
            f"+{number.country_code} is not a country code"
        ),
        phonenumbers.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
    }.get(reason)
    if why is None and not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number)
        why = (
            f"no such number exists in {where}"
            if where
            else f"no such number exists for country code +{number.country_code}"
        )
    if why is not None:
        raise ValidationError(f"{_clip(shown)} is not a valid phone number: {why}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _tel_example(path: str) -> str:
    """An E.164 version of a local number, so the fix is obvious (``0788…`` → ``+250788…``)."""
    digits = "".join(c for c in path if c in "0123456789")
    # One trunk 0 is dropped in most countries; anything else would make a misleading example.
    if len(digits) >= 7 and digits.startswith("0") and not digits.startswith("00"):
        return _TEL_EXAMPLE_CC + digits[1:]
    return _TEL_EXAMPLE


def _normalise_whatsapp(path: str, shown: str) -> str:
    import phonenumbers  # ~40 ms: loaded when a number is first read

    scoped = _COUNTRY_SCOPED_ID.fullmatch(path)
    if scoped:
        return f"{scoped[1].upper()}.{scoped[2]}"
    digits = re.sub(r"[\s-]", "", path).removeprefix("+")
    if not _ASCII_DIGITS.fullmatch(digits):
        raise ValidationError(
            f"{_clip(shown)} is not a WhatsApp id: use the phone number's digits without +, "
            "e.g. 250788123123"
        )
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(
            f"{_clip(shown)} is not a WhatsApp id: {digits} is not a phone number with its "
            "country code, e.g. 250788123123"
        )
    return digits


def _normalise_email(path: str, shown: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(path, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"{_clip(shown)} is not a valid email address: {exc}") from None
    # RapidPro stores mailto paths lower-cased, so sending them lower-cased matches lookups.
    return checked.normalized.lower()


def _normalise_freshchat(path: str, shown: str) -> str:
    parts = path.split("/")
    uuids = [_UUID_TEXT.fullmatch(p.strip()) for p in parts]
    if len(parts) != 2 or not all(uuids):
        raise ValidationError(f"{_clip(shown)} is not a Freshchat id: use channel UUID/user UUID")
    return "/".join(_canonical_uuid(m) for m in uuids if m)


# ---------------------------------------------------------------------------------------------
# Date-times and dates
# ---------------------------------------------------------------------------------------------

DATETIME_FORMAT = "YYYY-MM-DDThh:mm:ss.ssssssZ"
DATETIME_EXAMPLE = "2026-01-05T14:30:00.000000Z"
DATE_FORMAT = "YYYY-MM-DD"
DATE_EXAMPLE = "2026-01-05"


def format_datetime(dt: datetime) -> str:
    """``dt`` as RapidPro writes it: UTC, six-digit microseconds, ``Z``.

    An aware datetime is converted to UTC; a naive one is taken as the machine's local time.
    """
    try:
        utc = dt.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        raise ValidationError(
            f"{dt.isoformat()} cannot be shown in UTC: it is out of range"
        ) from None
    # Formatted by hand because strftime does not zero-pad years before 1000 everywhere.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def parse_datetime(text: str | date, *, local_tz: tzinfo | None = None) -> datetime:
    """An aware UTC datetime from RapidPro's format or any reasonable ISO 8601 text.

    Accepts ``Z`` or offsets (``+02:00``, ``+0200``), any number of fractional digits, a
    space instead of ``T``, and a date alone (midnight). Text without an offset is local
    time: ``local_tz`` if given, else the machine's zone.
    """
    if isinstance(text, datetime):
        return _to_utc(text, local_tz, text.isoformat())
    if isinstance(text, date):
        return _to_utc(datetime(text.year, text.month, text.day), local_tz, text.isoformat())
    if not isinstance(text, str):
        raise ValidationError(
            f"{_show(text)} is not a date and time: use {DATETIME_FORMAT}, e.g. {DATETIME_EXAMPLE}"
        )
    stripped = text.strip()
    if not stripped:
        raise ValidationError(
            f"The date and time is empty: use {DATETIME_FORMAT}, e.g. {DATETIME_EXAMPLE}"
        )
    try:
        # fromisoformat wants upper-case T and Z; people type them either way.
        parsed = datetime.fromisoformat(stripped.upper())
    except ValueError as exc:
        raise ValidationError(
            f"{_show(text)} is not a date and time{_range_detail(exc)}: use {DATETIME_FORMAT}, "
            f"e.g. {DATETIME_EXAMPLE} (a date alone, such as {DATE_EXAMPLE}, means midnight "
            "local time)"
        ) from None
    return _to_utc(parsed, local_tz, _clip(stripped))


def _range_detail(exc: ValueError) -> str:
    # "month must be in 1..12" helps; "Invalid isoformat string: ..." only repeats the input.
    detail = str(exc)
    if not detail or detail.startswith("Invalid isoformat"):
        return ""
    return f" ({detail})"


def _to_utc(dt: datetime, local_tz: tzinfo | None, shown: str) -> datetime:
    try:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=local_tz) if local_tz is not None else dt.astimezone()
        return dt.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        raise ValidationError(
            f"{shown} is out of range: RapidPro's dates run from year 1 to 9999 in UTC"
        ) from None


def format_date(d: date) -> str:
    """``d`` as ``YYYY-MM-DD`` (a datetime gives its own calendar date, unconverted)."""
    if isinstance(d, datetime):
        d = d.date()
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def parse_date(text: str | date) -> date:
    """A calendar date from ``YYYY-MM-DD`` text (or a date, returned as is)."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        raise ValidationError(
            f"{_show(text)} is not a date: use {DATE_FORMAT}, e.g. {DATE_EXAMPLE}"
        )
    stripped = text.strip()
    if not stripped:
        raise ValidationError(f"The date is empty: use {DATE_FORMAT}, e.g. {DATE_EXAMPLE}")
    try:
        return date.fromisoformat(stripped.upper())
    except ValueError as exc:
        hint = ""
        if "T" in stripped.upper() or ":" in stripped:
            hint = " (give the date alone, without a time)"
        raise ValidationError(
            f"{_show(text)} is not a date{_range_detail(exc)}{hint}: use {DATE_FORMAT}, "
            f"e.g. {DATE_EXAMPLE}"
        ) from None


# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------

# Codes RapidPro takes for translations although they have no two-letter equivalent.
_TRANSLATION_EXTRAS = frozenset({"mul", "und"})


@dataclass(frozen=True)
class Language:
    """An ISO-639-3 language: its three-letter code and English name."""

    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


@dataclass(frozen=True)
class _LanguageIndex:
    by_name: tuple[Language, ...]
    by_code: dict[str, Language]
    two_letter: dict[str, str]  # ISO-639-1 → ISO-639-3
    bibliographic: dict[str, str]  # ISO-639-2/B (fre, ger, …) → ISO-639-3
    translatable: frozenset[str]
    folded_names: dict[str, str]  # code → case-folded name, so a search folds nothing


@functools.cache
def _languages() -> _LanguageIndex:
    # pycountry reads a multi-megabyte JSON file on first use; importing it here keeps
    # `import explorer.core.values` cheap for code that never touches languages.
    import pycountry

    by_code: dict[str, Language] = {}
    two_letter: dict[str, str] = {}
    bibliographic: dict[str, str] = {}
    for record in pycountry.languages:
        code = record.alpha_3
        by_code[code] = Language(code, record.name)
        alpha_2 = getattr(record, "alpha_2", None)
        if alpha_2:
            two_letter[alpha_2] = code
        biblio = getattr(record, "bibliographic", None)
        if biblio and biblio != code:
            bibliographic[biblio] = code
    by_name = tuple(sorted(by_code.values(), key=lambda lang: (lang.name.casefold(), lang.code)))
    translatable = frozenset(two_letter.values()) | (_TRANSLATION_EXTRAS & by_code.keys())
    return _LanguageIndex(
        by_name=by_name,
        by_code=by_code,
        two_letter=two_letter,
        bibliographic=bibliographic,
        translatable=translatable,
        folded_names={lang.code: lang.name.casefold() for lang in by_name},
    )


def all_languages() -> tuple[Language, ...]:
    """Every ISO-639-3 language pycountry knows, sorted by name (loaded on first call)."""
    return _languages().by_name


@functools.cache
def translation_languages() -> tuple[Language, ...]:
    """The languages RapidPro allows in translations: those with an ISO-639-1 code, mul, und."""
    index = _languages()
    return tuple(lang for lang in index.by_name if lang.code in index.translatable)


def search_languages(
    query: str, *, translations_only: bool = False, limit: int | None = None
) -> list[Language]:
    """Languages whose code or name matches ``query`` (any case), best match first.

    An exact code (``fra``, or its ``fr``/``fre`` equivalents) comes first, then names
    starting with the query, then names containing it; each group in name order.
    """
    index = _languages()
    pool = translation_languages() if translations_only else index.by_name
    needle = query.strip().casefold()
    if not needle:
        return list(pool[:limit] if limit is not None else pool)
    exact_code = index.two_letter.get(needle) or index.bibliographic.get(needle) or needle
    exact: list[Language] = []
    starts: list[Language] = []
    contains: list[Language] = []
    for lang in pool:
        name = index.folded_names[lang.code]
        if lang.code == exact_code:
            exact.append(lang)
        elif name.startswith(needle):
            starts.append(lang)
        elif needle in name:
            contains.append(lang)
    found = exact + starts + contains
    return found[:limit] if limit is not None else found


def parse_language(text: str, *, for_translations: bool = False) -> str:
    """The lower-cased ISO-639-3 code in ``text`` (``"fra"``, ``"FRA"``, ``"fra — French"``).

    With ``for_translations`` only codes RapidPro allows as translation keys pass: those
    with a two-letter ISO-639-1 equivalent, plus ``mul`` and ``und``.
    """
    if not isinstance(text, str):
        raise ValidationError(f"{_show(text)} is not a language code: use three letters, e.g. eng")
    # A chooser shows "fra — French"; the code is what comes before the dash.
    code = re.split(r"\s+[—–-]\s+|[—–]", text, maxsplit=1)[0].strip().lower()
    if not code:
        raise ValidationError("The language is empty: give an ISO-639-3 code, e.g. eng")
    index = _languages()
    lang = index.by_code.get(code)
    if lang is None:
        better = index.two_letter.get(code) or index.bibliographic.get(code)
        if better:
            raise ValidationError(
                f"{_show(text.strip())} is not an ISO-639-3 language code: "
                f"use {better} ({index.by_code[better].name})"
            )
        raise ValidationError(
            f"{_show(text.strip())} is not an ISO-639-3 language code, e.g. eng, fra, kin"
        )
    if for_translations and code not in index.translatable:
        raise ValidationError(
            f"{_show(code)} ({lang.name}) cannot be used for translations: RapidPro only "
            "takes languages that also have a two-letter ISO-639-1 code (such as eng, fra, "
            "kin), or mul or und"
        )
    return code


# ---------------------------------------------------------------------------------------------
# Translations
# ---------------------------------------------------------------------------------------------

MAX_TRANSLATION_LANGUAGES = 50
"""RapidPro refuses a translations object with more languages than this."""


def parse_translations(
    value: Any,
    *,
    item: Callable[[Any], Any],
    max_languages: int = MAX_TRANSLATION_LANGUAGES,
) -> Any:
    """A translations object ``{"eng": …, "fra": …}``, or a bare value.

    Keys must be translation languages; each value goes through ``item`` and its errors are
    placed under the language code. A bare value (not a dict) is what RapidPro takes as the
    workspace's default language: it is checked with ``item`` and returned unwrapped.
    """
    if not isinstance(value, Mapping):
        return item(value)
    if not value:
        raise ValidationError(
            'Give at least one language, e.g. {"eng": "Hello"}, or a single value for the '
            "workspace's default language"
        )
    if len(value) > max_languages:
        raise ValidationError(
            f"{len(value)} languages are too many: RapidPro takes at most {max_languages}"
        )
    out: dict[str, Any] = {}
    for key, raw in value.items():
        try:
            code = parse_language(key, for_translations=True)
        except ValidationError as exc:
            raise exc.at(str(key)) from None
        if code in out:
            raise ValidationError(f"{code} is given more than once").at(str(key))
        try:
            out[code] = item(raw)
        except ValidationError as exc:
            raise exc.at(code) from None
    return out


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------

_UUID_EXAMPLE = "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90"
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0"})


def _canonical_uuid(match: re.Match[str]) -> str:
    """``_UUID_TEXT``'s five groups as ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``, lower case."""
    return "-".join(match.groups()).lower()


def _is_uuid_object(value: object) -> bool:
    # A uuid.UUID can only exist once the uuid module is loaded: no need to load it to ask.
    uuid = sys.modules.get("uuid")
    return uuid is not None and isinstance(value, uuid.UUID)


def parse_uuid(value: object) -> str:
    """A UUID (text in any case, hyphens and braces optional, or a uuid.UUID) as lower-case
    canonical text."""
    if _is_uuid_object(value):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(f"{_show(value)} is not a UUID, e.g. {_UUID_EXAMPLE}")
    stripped = value.strip()
    if not stripped:
        raise ValidationError(f"The UUID is empty: give one such as {_UUID_EXAMPLE}")
    match = _UUID_TEXT.fullmatch(stripped)
    # Braces must come in pairs; a lone one is a typo, not a style.
    if not match or stripped.startswith("{") != stripped.endswith("}"):
        raise ValidationError(f"{_show(stripped)} is not a UUID, e.g. {_UUID_EXAMPLE}")
    return _canonical_uuid(match)


def parse_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number from an int or text such as ``"12"``; bounds are inclusive."""
    number: int
    if isinstance(value, bool):
        # bool is an int subclass; True arriving where a count belongs is a mistake.
        raise ValidationError(f"{_show(value)} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(f"{_show(value)} is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            raise ValidationError("The number is empty: give a whole number such as 10")
        if not _INT_TEXT.fullmatch(stripped):
            raise ValidationError(f"{_show(stripped)} is not a whole number")
        try:
            number = int(stripped)
        except ValueError:  # more digits than Python converts by default
            raise ValidationError(f"{_show(stripped)} is too long a number") from None
    else:
        raise ValidationError(f"{_show(value)} is not a whole number")
    if minimum is not None and number < minimum:
        raise ValidationError(
            f"{_clip(str(number))} is too small: the smallest allowed is {minimum}"
        )
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"{_clip(str(number))} is too large: the largest allowed is {maximum}"
        )
    return number


def parse_bool(value: Any) -> bool:
    """True or False from a bool, 0/1, or yes/no, true/false, y/n, 1/0 text (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValidationError(f"{_show(value)} is not true or false: use true, false, yes or no")


def parse_choice(value: Any, choices: Sequence[str], *, case_insensitive: bool = False) -> str:
    """One of ``choices``, returned as spelled in ``choices``."""
    listed = ", ".join(choices)
    if not isinstance(value, str):
        raise ValidationError(f"{_show(value)} is not one of: {listed}")
    stripped = value.strip()
    for choice in choices:
        if stripped == choice or (case_insensitive and stripped.casefold() == choice.casefold()):
            return choice
    raise ValidationError(f"{_show(stripped)} is not one of: {listed}")


def parse_string(
    value: Any,
    *,
    max_length: int | None = None,
    min_length: int | None = None,
    allow_blank: bool = True,
) -> str:
    """Text, checked for blankness and length (in characters), sent as typed."""
    if not isinstance(value, str):
        raise ValidationError(f"{_show(value)} is not text")
    if not allow_blank and not value.strip():
        raise ValidationError("This may not be blank")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{_show(value, 40)} is {len(value)} characters long; the most allowed is {max_length}"
        )
    if min_length is not None and len(value) < min_length:
        raise ValidationError(
            f"{_show(value, 40)} is {len(value)} characters long; "
            f"the fewest allowed is {min_length}"
        )
    return value


def parse_str_or_none(value: Any) -> str | None:
    """A value of a ``dict[str,str]`` field: text, or None to clear it."""
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(f"{_show(value)} is not text: give text, or null to clear it")


# ---------------------------------------------------------------------------------------------
# Containers and JSON
# ---------------------------------------------------------------------------------------------


def parse_json(value: Any) -> Any:
    """A JSON value: text is parsed (errors say where), anything else must be JSON-able."""
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError("The JSON is empty: give a value such as {} or []")
        try:
            return json.loads(value, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"The JSON is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise ValidationError("The JSON is nested too deeply to read") from None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise ValidationError(f"{_show(value)} cannot be sent as JSON") from None
    return value


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, but they are not JSON and RapidPro rejects them.
    raise ValidationError(f"{name} is not valid JSON: use a number or null")


def parse_dict(
    value: Any,
    *,
    value_parser: Callable[[Any], Any] | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """A JSON object from a dict or JSON text; ``value_parser`` checks each value."""
    if isinstance(value, str):
        value = parse_json(value)
    if not isinstance(value, Mapping):
        raise ValidationError(
            f'{_show(value)} is not an object: give one such as {{"key": "value"}}'
        )
    if max_items is not None and len(value) > max_items:
        raise ValidationError(f"{len(value)} entries are too many: at most {max_items} are allowed")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if not isinstance(key, str):
            raise ValidationError(f"The key {_show(key)} is not text")
        if value_parser is None:
            out[key] = raw
            continue
        try:
            out[key] = value_parser(raw)
        except ValidationError as exc:
            raise exc.at(key) from None
    return out


def parse_list(
    value: Any,
    item: Callable[[Any], Any],
    *,
    max_items: int | None = None,
    item_max_length: int | None = None,
) -> list[Any]:
    """A list from a list, or from text with one item per line (blank lines skipped).

    Each item goes through ``item``; an item's error is placed under its index.
    """
    items: list[Any]
    if isinstance(value, str):
        items = [line.strip() for line in value.splitlines() if line.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValidationError(f"{_show(value)} is not a list: give one item per line")
    if max_items is not None and len(items) > max_items:
        raise ValidationError(f"{len(items)} items are too many: at most {max_items} are allowed")
    out: list[Any] = []
    for i, raw in enumerate(items):
        if item_max_length is not None and isinstance(raw, str) and len(raw) > item_max_length:
            raise ValidationError(
                f"{_show(raw, 40)} is {len(raw)} characters long; "
                f"the most allowed is {item_max_length}"
            ).at(i)
        try:
            out.append(item(raw))
        except ValidationError as exc:
            raise exc.at(i) from None
    return out


# ---------------------------------------------------------------------------------------------
# References to other objects
# ---------------------------------------------------------------------------------------------

_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]*")
_FIELD_KEY_MAX = 36
_CONTENT_TYPE_URL = re.compile(r"[A-Za-z]+/[A-Za-z0-9.+_-]+:https?://\S+")


def parse_reference(value: Any, accepts: str) -> str:
    """The text to send for a reference to another object.

    ``accepts`` is the catalog's description of what the server looks up, e.g.
    ``"group uuid or name (case-insensitive)"``, ``"contact uuid or urn"``, ``"flow uuid"``,
    ``"user email (case-insensitive)"``, ``"contact field key"`` or
    ``"media uuid or '<content-type>:<url>' string"``.
    """
    from email_validator import EmailNotValidError, validate_email

    if _is_uuid_object(value):
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError(f"{_show(value)} is not text: {_reference_hint(accepts)}")
    text = value.strip()
    if not text:
        raise ValidationError(f"This is empty: {_reference_hint(accepts)}")
    words = set(re.findall(r"[a-z]+", accepts.lower()))
    looks_like_uuid = _UUID_TEXT.fullmatch(text) is not None

    if "email" in words:
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValidationError(f"{_show(text)} is not an email address: {exc}") from None
        return text
    if "key" in words:
        if not _FIELD_KEY.fullmatch(text) or len(text) > _FIELD_KEY_MAX:
            raise ValidationError(
                f"{_show(text)} is not a field key: use lower-case letters, digits and _, "
                f"starting with a letter, at most {_FIELD_KEY_MAX} characters, e.g. district"
            )
        return text
    if "uuid" in words and looks_like_uuid:
        return parse_uuid(text)
    if "urn" in words:
        if ":" in text:
            return str(Urn.parse(text))
        raise ValidationError(
            f"{_show(text)} is neither a UUID nor a URN: {_reference_hint(accepts)}"
        )
    if "url" in words:
        if _CONTENT_TYPE_URL.fullmatch(text):
            return text
        raise ValidationError(
            f"{_show(text)} is neither a UUID nor a content type and URL: "
            f"{_reference_hint(accepts)}"
        )
    if "name" in words:
        return text
    if "uuid" in words:
        raise ValidationError(f"{_show(text)} is not a UUID, e.g. {_UUID_EXAMPLE}")
    # A description this module does not know: send what was typed rather than block it.
    return text


def _reference_hint(accepts: str) -> str:
    words = set(re.findall(r"[a-z]+", accepts.lower()))
    if "email" in words:
        return "give the user's email address"
    if "key" in words:
        return "give the field's key, e.g. district"
    options: list[str] = []
    if "uuid" in words:
        options.append(f"a UUID such as {_UUID_EXAMPLE}")
    if "urn" in words:
        options.append("a URN such as tel:+250788123123")
    if "url" in words:
        options.append("a content type and URL such as image/jpeg:https://example.org/a.jpg")
    if "name" in words:
        options.append("a name")
    return "give " + " or ".join(options) if options else "give a value"
