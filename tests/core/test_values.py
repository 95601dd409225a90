"""Tests for explorer.core.values: what a person types, what RapidPro is sent, what they read."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.errors import ValidationError
from explorer.core.values import (
    MAX_URN_LENGTH,
    URN_SCHEMES,
    Language,
    Urn,
    UrnScheme,
    all_languages,
    format_date,
    format_datetime,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_dict,
    parse_int,
    parse_json,
    parse_language,
    parse_list,
    parse_reference,
    parse_str_or_none,
    parse_string,
    parse_translations,
    parse_uuid,
    scheme_for,
    search_languages,
    translation_languages,
)

FUZZ = settings(max_examples=200, deadline=None)
KIGALI = ZoneInfo("Africa/Kigali")  # UTC+2, no DST: the arithmetic in these tests stays plain
NEW_YORK = ZoneInfo("America/New_York")


def message_of(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------------
# URN schemes
# ---------------------------------------------------------------------------------------------


def test_every_rapidpro_scheme_is_offered_in_order() -> None:
    assert [s.scheme for s in URN_SCHEMES] == [
        "tel", "whatsapp", "bsuid", "mailto", "ext", "facebook", "fcm", "freshchat",
        "instagram", "jiochat", "line", "rocketchat", "slack", "telegram", "twitter",
        "twitterid", "viber", "vk", "webchat", "wechat",
    ]  # fmt: skip
    assert [s.scheme for s in URN_SCHEMES if s.e164] == ["tel", "whatsapp"]
    assert all(s.label and s.hint for s in URN_SCHEMES)


def test_scheme_for_finds_any_case_and_refuses_unknown() -> None:
    assert scheme_for("TEL") == UrnScheme(
        "tel", "phone number", e164=True, hint=scheme_for("tel").hint
    )
    err = message_of(scheme_for, "sms")
    assert '"sms"' in err.message
    assert "tel, whatsapp" in err.message


# ---------------------------------------------------------------------------------------------
# tel
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tel:+250 788 123 123", "tel:+250788123123"),
        ("tel:+250-788-123-123", "tel:+250788123123"),
        ("TEL:+250788123123", "tel:+250788123123"),
        ("  tel:+1 (206) 555-0100  ", "tel:+12065550100"),
        ("tel:+44 7911 123456", "tel:+447911123456"),
    ],
)
def test_tel_is_normalised_to_e164(text: str, expected: str) -> None:
    assert str(Urn.parse(text)) == expected


def test_local_number_uses_the_workspace_country() -> None:
    urn = Urn.parse("tel:0788 123 123", "RW")
    assert urn == Urn("tel", "+250788123123")
    assert str(urn) == "tel:+250788123123"
    # The country is a setting a person may type in lower case.
    assert str(Urn.parse("tel:0788123123", "rw")) == "tel:+250788123123"
    # An international number is not rewritten by the default country.
    assert str(Urn.parse("tel:+12065550100", "RW")) == "tel:+12065550100"


def test_local_number_without_country_says_exactly_how_to_fix_it() -> None:
    err = message_of(Urn.parse, "tel:0788123123")
    assert err.message == (
        "tel:0788123123 is not a full international number: add the country code, "
        "e.g. +250788123123"
    )


def test_local_number_hint_is_built_from_the_digits() -> None:
    err = message_of(Urn.parse, "tel:0722 555 111")
    assert err.message.endswith("e.g. +250722555111")


def test_short_local_number_gets_the_fixed_example() -> None:
    assert message_of(Urn.parse, "tel:5551").message.endswith("e.g. +250788123123")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("tel:+250788", "too short"),
        ("tel:+2507881231231231231", "too long"),
        ("tel:+15551234567", "no such number"),
        ("tel:+1800FLOWERS", "digits only"),
        ("tel:+250788123123 ext 5", "digits only"),
        ("tel:abc", "digits only"),
        ("tel:+", "not a phone number"),
    ],
)
def test_invalid_phone_numbers_are_refused_with_a_reason(text: str, why: str) -> None:
    err = message_of(Urn.parse, text)
    assert text.strip() in err.message
    assert why in err.message


def test_local_number_invalid_for_its_country_is_refused() -> None:
    assert "too short" in message_of(Urn.parse, "tel:1234", "RW").message


def test_unknown_default_country_is_named() -> None:
    assert '"XX"' in message_of(Urn.parse, "tel:0788123123", "XX").message


# ---------------------------------------------------------------------------------------------
# Every other scheme
# ---------------------------------------------------------------------------------------------

GOOD_URNS = [
    ("whatsapp:250788123123", "whatsapp:250788123123"),
    ("whatsapp:+250 788 123 123", "whatsapp:250788123123"),
    ("whatsapp:rw.AbC123", "whatsapp:RW.AbC123"),
    ("bsuid:RW.a1b2c3", "bsuid:RW.a1b2c3"),
    ("bsuid:us.X", "bsuid:US.X"),
    ("mailto:Ana.Silva@Example.ORG", "mailto:ana.silva@example.org"),
    ("ext:crm-1234", "ext:crm-1234"),
    ("facebook:1234567890", "facebook:1234567890"),
    ("facebook:ref:summer_promo", "facebook:ref:summer_promo"),
    ("fcm:dGhpcyBpcyBhIHRva2Vu:APA91b", "fcm:dGhpcyBpcyBhIHRva2Vu:APA91b"),
    (
        "freshchat:5F0C6A3E-8D1B-4E4F-9A2C-7B3D1E6F4A90/0d4b7f0e-1c2a-4b3d-8e9f-a1b2c3d4e5f6",
        "freshchat:5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90/0d4b7f0e-1c2a-4b3d-8e9f-a1b2c3d4e5f6",
    ),
    ("instagram:17841400000000000", "instagram:17841400000000000"),
    ("jiochat:abc-123", "jiochat:abc-123"),
    ("line:U1234abcd", "line:U1234abcd"),
    ("rocketchat:x7y8z9", "rocketchat:x7y8z9"),
    ("slack:U0123ABCD", "slack:U0123ABCD"),
    ("telegram:123456789", "telegram:123456789"),
    ("twitter:@RapidPro", "twitter:rapidpro"),
    ("twitter:some_user_15chr", "twitter:some_user_15chr"),
    ("twitterid:1234567#rapidpro", "twitterid:1234567#rapidpro"),
    ("twitterid:1234567", "twitterid:1234567"),
    ("viber:xy5/5y6O81+/kbWHpLhBoA==", "viber:xy5/5y6O81+/kbWHpLhBoA=="),
    ("vk:123456", "vk:123456"),
    ("webchat:65vbbDAQCdPdEWlEhDGy4utO", "webchat:65vbbDAQCdPdEWlEhDGy4utO"),
    ("wechat:oB2s_1QGjLS2f1c", "wechat:oB2s_1QGjLS2f1c"),
    ("Ext: spaced out ", "ext:spaced out"),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_URNS)
def test_good_urns_are_accepted_and_normalised(text: str, expected: str) -> None:
    assert str(Urn.parse(text)) == expected


def test_every_scheme_has_a_good_example() -> None:
    tested = {text.split(":", 1)[0].strip().lower() for text, _ in GOOD_URNS} | {"tel"}
    assert tested == {s.scheme for s in URN_SCHEMES}


BAD_URNS = [
    ("whatsapp:12", "not a phone number"),
    ("whatsapp:2507881x3123", "digits"),
    ("whatsapp:RWA.abc", "digits"),
    ("bsuid:RW_abc", "business-scoped"),
    ("bsuid:R.abc", "business-scoped"),
    ("bsuid:RW." + "a" * 129, "business-scoped"),
    ("mailto:ana", "email address"),
    ("mailto:ana@@example.org", "email address"),
    ("facebook:abc", "numeric id"),
    ("facebook:ref:", "numeric id"),
    ("freshchat:5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90", "channel UUID/user UUID"),
    ("freshchat:abc/def", "channel UUID/user UUID"),
    ("instagram:ana.silva", "digits only"),
    ("telegram:@ana", "digits only"),
    ("telegram:١٢٣", "digits only"),
    ("twitter:this_is_too_long_x", "15 letters"),
    ("twitter:ana-silva", "15 letters"),
    ("twitterid:@ana", "digits only"),
    ("viber:" + "a" * 25, "24 letters"),
    ("viber:has space", "24 letters"),
    ("ext:", "nothing after the scheme"),
    ("slack:   #display-only", "nothing after the scheme"),
]


@pytest.mark.parametrize(("text", "why"), BAD_URNS)
def test_bad_urns_are_refused_naming_the_value(text: str, why: str) -> None:
    err = message_of(Urn.parse, text)
    assert why in err.message
    assert text.split(":", 1)[0] in err.message


def test_missing_scheme_says_to_add_one() -> None:
    err = message_of(Urn.parse, "+250788123123")
    assert "add a scheme such as tel: or mailto:" in err.message
    assert "tel:+250788123123" in err.message
    assert "mailto:ana@example.org" in message_of(Urn.parse, "ana@example.org").message


def test_unknown_scheme_lists_the_known_ones() -> None:
    err = message_of(Urn.parse, "sms:+250788123123")
    assert '"sms"' in err.message
    assert "mailto" in err.message


def test_empty_urn_is_refused() -> None:
    assert "empty" in message_of(Urn.parse, "   ").message


def test_urn_longer_than_255_is_refused() -> None:
    fits = "ext:" + "a" * (MAX_URN_LENGTH - 4)
    assert str(Urn.parse(fits)) == fits
    err = message_of(Urn.parse, fits + "a")
    assert "256 characters" in err.message
    assert "at most 255" in err.message


def test_display_fragment_round_trips() -> None:
    urn = Urn.parse("tel:+250788123123#Ana")
    assert (urn.path, urn.display) == ("+250788123123", "Ana")
    assert Urn.parse(str(urn)) == urn
    assert str(Urn.parse("twitterid:99#")) == "twitterid:99"


def test_from_parts_matches_a_scheme_chooser() -> None:
    assert str(Urn.from_parts("tel", "0788 123 123", "RW")) == "tel:+250788123123"
    assert str(Urn.from_parts("Mailto", "mailto:Ana@Example.org")) == "mailto:ana@example.org"
    assert (
        "not a full international number" in message_of(Urn.from_parts, "tel", "0788123123").message
    )
    assert '"sms"' in message_of(Urn.from_parts, "sms", "123").message


# ---------------------------------------------------------------------------------------------
# Date-times and dates
# ---------------------------------------------------------------------------------------------


def test_format_datetime_is_rapidpros_format() -> None:
    dt = datetime(2016, 10, 13, 11, 54, 32, 525277, tzinfo=UTC)
    assert format_datetime(dt) == "2016-10-13T11:54:32.525277Z"
    assert format_datetime(datetime(2026, 1, 5, 14, 30, tzinfo=KIGALI)) == (
        "2026-01-05T12:30:00.000000Z"
    )
    assert format_datetime(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"


def test_format_datetime_takes_naive_as_local_time() -> None:
    naive = datetime(2026, 1, 5, 14, 30)
    assert format_datetime(naive) == format_datetime(naive.astimezone())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-10-13T11:54:32.525277Z", datetime(2016, 10, 13, 11, 54, 32, 525277, tzinfo=UTC)),
        ("2026-01-05T10:00:00Z", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        ("2026-01-05T10:00:00.5Z", datetime(2026, 1, 5, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-05T10:00:00+02:00", datetime(2026, 1, 5, 8, tzinfo=UTC)),
        ("2026-01-05T10:00:00+0200", datetime(2026, 1, 5, 8, tzinfo=UTC)),
        ("2026-01-05 10:00:00-05:00", datetime(2026, 1, 5, 15, tzinfo=UTC)),
        ("2026-01-05t10:00:00z", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        (" 2026-01-05T10:00Z ", datetime(2026, 1, 5, 10, tzinfo=UTC)),
    ],
)
def test_parse_datetime_accepts_iso_8601_and_returns_utc(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_naive_text_is_local_time_converted_to_utc() -> None:
    assert parse_datetime("2026-01-05T10:00:00", local_tz=KIGALI) == datetime(
        2026, 1, 5, 8, tzinfo=UTC
    )
    # New York is UTC-5 in January and UTC-4 in July; the zone, not a fixed offset, decides.
    assert parse_datetime("2026-01-05 10:00", local_tz=NEW_YORK).hour == 15
    assert parse_datetime("2026-07-05 10:00", local_tz=NEW_YORK).hour == 14


def test_date_alone_means_local_midnight() -> None:
    assert parse_datetime("2026-01-05", local_tz=KIGALI) == datetime(2026, 1, 4, 22, tzinfo=UTC)
    assert parse_datetime("2026-01-05", local_tz=UTC) == datetime(2026, 1, 5, tzinfo=UTC)


def test_parse_datetime_takes_datetime_objects() -> None:
    aware = datetime(2026, 1, 5, 10, tzinfo=timezone(timedelta(hours=3)))
    assert parse_datetime(aware) == datetime(2026, 1, 5, 7, tzinfo=UTC)
    assert parse_datetime(datetime(2026, 1, 5, 10), local_tz=KIGALI).hour == 8


def test_parse_datetime_without_local_tz_uses_the_machine_zone() -> None:
    expected = datetime(2026, 1, 5, 10).astimezone().astimezone(UTC)
    assert parse_datetime("2026-01-05T10:00:00") == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "", "   ", "05/01/2026", "10:00"])
def test_garbage_datetime_shows_format_and_example(text: str) -> None:
    err = message_of(parse_datetime, text)
    assert "YYYY-MM-DDThh:mm:ss.ssssssZ" in err.message
    assert "e.g. 2026-01-05T14:30:00.000000Z" in err.message
    if text.strip():
        assert f'"{text}"' in err.message


def test_impossible_month_says_why() -> None:
    assert "month must be in 1..12" in message_of(parse_datetime, "2026-13-01").message


def test_dates_parse_and_format() -> None:
    assert parse_date("2026-01-05") == date(2026, 1, 5)
    assert parse_date(" 2026-01-05 ") == date(2026, 1, 5)
    assert parse_date(date(2026, 1, 5)) == date(2026, 1, 5)
    assert parse_date(datetime(2026, 1, 5, 23, 59)) == date(2026, 1, 5)
    assert format_date(date(2026, 1, 5)) == "2026-01-05"
    assert format_date(date(5, 1, 1)) == "0005-01-01"
    assert format_date(datetime(2026, 1, 5, 23, 59)) == "2026-01-05"


@pytest.mark.parametrize("text", ["2026-02-30", "tomorrow", "", "5.1.2026"])
def test_bad_dates_show_format_and_example(text: str) -> None:
    err = message_of(parse_date, text)
    assert "YYYY-MM-DD" in err.message
    assert "2026-01-05" in err.message


def test_date_with_a_time_is_told_to_drop_the_time() -> None:
    assert "without a time" in message_of(parse_date, "2026-01-05T10:00:00Z").message


aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.one_of(st.just(UTC), st.timezones()),
)


@FUZZ
@given(aware_datetimes)
def test_format_parse_format_round_trips(dt: datetime) -> None:
    text = format_datetime(dt)
    assert format_datetime(parse_datetime(text)) == text
    assert parse_datetime(text) == dt.astimezone(UTC)  # the same instant, now in UTC


@FUZZ
@given(st.dates(min_value=date(2, 1, 1)))
def test_date_round_trips(d: date) -> None:
    assert parse_date(format_date(d)) == d


@FUZZ
@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_offsets_are_converted_to_utc(naive: datetime, minutes: int) -> None:
    offset = timezone(timedelta(minutes=minutes))
    text = naive.replace(tzinfo=offset).isoformat()
    assert parse_datetime(text) == naive.replace(tzinfo=offset)
    assert parse_datetime(text).tzinfo == UTC


@FUZZ
@given(st.text())
def test_any_datetime_text_parses_or_raises_validation_error(text: str) -> None:
    try:
        parsed = parse_datetime(text)
    except ValidationError as err:
        assert err.message
    else:
        assert parsed.tzinfo == UTC


@FUZZ
@given(st.text(alphabet="0123456789-:T .Z+z,W", max_size=40))
def test_iso_like_text_parses_or_raises_validation_error(text: str) -> None:
    # Text made of ISO 8601's own characters reaches deeper into the parser than random text.
    for local_tz in (None, KIGALI):
        try:
            parsed = parse_datetime(text, local_tz=local_tz)
        except ValidationError as err:
            assert "YYYY-MM-DD" in err.message or "out of range" in err.message
        else:
            assert parsed.tzinfo == UTC
    try:
        assert isinstance(parse_date(text), date)
    except ValidationError as err:
        assert "YYYY-MM-DD" in err.message


@FUZZ
@given(st.text())
def test_any_date_text_parses_or_raises_validation_error(text: str) -> None:
    try:
        assert isinstance(parse_date(text), date)
    except ValidationError as err:
        assert err.message


# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------


def test_language_reads_as_the_chooser_shows_it() -> None:
    assert str(Language("fra", "French")) == "fra — French"


def test_all_languages_are_every_iso_639_3_code_sorted_by_name() -> None:
    langs = all_languages()
    codes = {lang.code for lang in langs}
    assert len(langs) > 7000
    assert {"eng", "fra", "kin", "ace", "mul", "und"} <= codes
    assert all(len(code) == 3 for code in codes)
    names = [lang.name.casefold() for lang in langs]
    assert names == sorted(names)
    assert all_languages() is langs  # loaded once


def test_translation_languages_have_two_letter_codes_plus_mul_und() -> None:
    codes = {lang.code for lang in translation_languages()}
    assert {"eng", "fra", "kin", "mul", "und"} <= codes
    assert "ace" not in codes
    assert 150 < len(codes) < 250


def test_search_puts_the_exact_code_first() -> None:
    assert search_languages("fra")[0].code == "fra"
    assert search_languages("FRA")[0].code == "fra"
    # A two-letter code a person remembers leads to the three-letter one RapidPro wants.
    assert search_languages("rw")[0].code == "kin"


def test_search_by_name_orders_prefix_before_contains() -> None:
    found = [lang.code for lang in search_languages("french")]
    assert found[0] == "fra"  # "French" starts with the query...
    assert "frc" in found  # ...and "Cajun French" only contains it
    assert found.index("fra") < found.index("frc")


def test_search_respects_translations_only_and_limit() -> None:
    assert "fsl" in [lang.code for lang in search_languages("french")]
    in_translations = [lang.code for lang in search_languages("french", translations_only=True)]
    assert in_translations == ["fra"]
    assert len(search_languages("a", limit=5)) == 5
    assert search_languages("zzzzz") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("fra", "fra"),
        ("FRA", "fra"),
        (" kin ", "kin"),
        ("fra — French", "fra"),
        ("eng - English", "eng"),
    ],
)
def test_parse_language_returns_the_lower_case_code(text: str, code: str) -> None:
    assert parse_language(text) == code


def test_unknown_language_code_is_named_with_examples() -> None:
    assert message_of(parse_language, "xx").message == (
        '"xx" is not an ISO-639-3 language code, e.g. eng, fra, kin'
    )


def test_two_letter_and_bibliographic_codes_point_to_the_right_one() -> None:
    assert "use fra (French)" in message_of(parse_language, "fr").message
    assert "use fra (French)" in message_of(parse_language, "fre").message


def test_translation_languages_are_stricter_than_contact_languages() -> None:
    assert parse_language("kin", for_translations=True) == "kin"
    assert parse_language("mul", for_translations=True) == "mul"
    assert parse_language("und", for_translations=True) == "und"
    assert parse_language("ace") == "ace"
    err = message_of(parse_language, "ace", for_translations=True)
    assert '"ace"' in err.message
    assert "two-letter" in err.message


@FUZZ
@given(st.text(), st.booleans())
def test_any_language_text_parses_or_raises_validation_error(text: str, strict: bool) -> None:
    try:
        code = parse_language(text, for_translations=strict)
    except ValidationError as err:
        assert err.message
    else:
        assert code in {lang.code for lang in all_languages()}


# ---------------------------------------------------------------------------------------------
# Translations
# ---------------------------------------------------------------------------------------------


def test_translations_dict_is_checked_per_language() -> None:
    assert parse_translations({"ENG": "Hello", "kin": "Muraho"}, item=parse_string) == {
        "eng": "Hello",
        "kin": "Muraho",
    }


def test_bare_translation_value_stays_bare() -> None:
    assert parse_translations("Hello", item=parse_string) == "Hello"
    assert "is not text" in message_of(parse_translations, 5, item=parse_string).message


def test_translation_errors_are_placed_under_the_language() -> None:
    err = message_of(
        parse_translations,
        {"eng": "ok", "fra": ""},
        item=lambda v: parse_string(v, allow_blank=False),
    )
    assert err.path == ("fra",)
    assert str(err).startswith("fra: ")


def test_translation_keys_must_be_translation_languages() -> None:
    err = message_of(parse_translations, {"ace": "x"}, item=parse_string)
    assert err.path == ("ace",)
    assert "translations" in err.message
    assert message_of(parse_translations, {"xx": "x"}, item=parse_string).path == ("xx",)


def test_translations_must_not_be_empty_or_too_many() -> None:
    assert "at least one language" in message_of(parse_translations, {}, item=parse_string).message
    many = {lang.code: "x" for lang in translation_languages()[:51]}
    assert "at most 50" in message_of(parse_translations, many, item=parse_string).message
    assert len(parse_translations(dict(list(many.items())[:50]), item=parse_string)) == 50


def test_the_same_language_twice_is_refused() -> None:
    err = message_of(parse_translations, {"eng": "a", "ENG": "b"}, item=parse_string)
    assert "more than once" in err.message


@FUZZ
@given(
    st.one_of(
        st.text(),
        st.dictionaries(
            st.one_of(st.text(max_size=5), st.sampled_from(["eng", "fra", "ace"])),
            st.text(max_size=5),
            max_size=4,
        ),
    )
)
def test_any_translations_parse_or_raise_validation_error(value: object) -> None:
    try:
        parse_translations(value, item=parse_string)
    except ValidationError as err:
        assert err.message


# ---------------------------------------------------------------------------------------------
# UUIDs and scalars
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90",
        "5F0C6A3E-8D1B-4E4F-9A2C-7B3D1E6F4A90",
        "5f0c6a3e8d1b4e4f9a2c7b3d1e6f4a90",
        "{5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90}",
        "  5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90 ",
    ],
)
def test_uuid_is_returned_canonical(text: str) -> None:
    assert parse_uuid(text) == "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90"


@pytest.mark.parametrize(
    "text",
    ["abc", "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a9", "{5f0c6a3e8d1b4e4f9a2c7b3d1e6f4a90", "g" * 32],
)
def test_bad_uuid_is_named(text: str) -> None:
    err = message_of(parse_uuid, text)
    assert f'"{text}"' in err.message
    assert "not a UUID" in err.message


@FUZZ
@given(st.uuids())
def test_any_uuid_round_trips(u: uuid.UUID) -> None:
    assert parse_uuid(str(u).upper()) == str(u)
    assert parse_uuid(u) == str(u)


def test_int_parsing() -> None:
    assert parse_int("12") == 12
    assert parse_int(" -3 ") == -3
    assert parse_int(7) == 7
    assert parse_int(5.0) == 5
    assert '"12a"' in message_of(parse_int, "12a").message
    assert "not a whole number" in message_of(parse_int, True).message
    assert "not a whole number" in message_of(parse_int, 2.5).message
    assert "not a whole number" in message_of(parse_int, "١٢").message
    assert "smallest allowed is 1" in message_of(parse_int, "0", minimum=1).message
    assert "largest allowed is 250" in message_of(parse_int, 251, maximum=250).message
    assert parse_int("250", minimum=1, maximum=250) == 250


def test_bool_parsing() -> None:
    for word in ["true", "TRUE", "yes", "Y", "1", " y "]:
        assert parse_bool(word) is True
    for word in ["false", "No", "n", "0"]:
        assert parse_bool(word) is False
    assert parse_bool(True) is True
    assert parse_bool(0) is False
    assert '"maybe"' in message_of(parse_bool, "maybe").message
    assert "true or false" in message_of(parse_bool, 2).message


def test_choice_parsing() -> None:
    assert parse_choice("active", ["active", "archived"]) == "active"
    assert parse_choice("ACTIVE", ["active", "archived"], case_insensitive=True) == "active"
    err = message_of(parse_choice, "ACTIVE", ["active", "archived"])
    assert err.message == '"ACTIVE" is not one of: active, archived'


def test_string_parsing() -> None:
    assert parse_string("  hi ") == "  hi "
    assert parse_string("") == ""
    assert "blank" in message_of(parse_string, "  ", allow_blank=False).message
    err = message_of(parse_string, "x" * 65, max_length=64)
    assert "65 characters" in err.message
    assert "most allowed is 64" in err.message
    assert "fewest allowed is 2" in message_of(parse_string, "x", min_length=2).message
    assert "not text" in message_of(parse_string, 5).message


def test_str_or_none_for_dict_values() -> None:
    assert parse_str_or_none(None) is None
    assert parse_str_or_none("Kigali") == "Kigali"
    assert "null" in message_of(parse_str_or_none, 3).message


@FUZZ
@given(st.text())
def test_any_scalar_text_parses_or_raises_validation_error(text: str) -> None:
    for parse in (parse_uuid, parse_int, parse_bool):
        try:
            parse(text)
        except ValidationError as err:
            assert err.message


# ---------------------------------------------------------------------------------------------
# Containers and JSON
# ---------------------------------------------------------------------------------------------


def test_dict_from_object_or_text() -> None:
    assert parse_dict({"district": "Gasabo"}) == {"district": "Gasabo"}
    assert parse_dict('{"district": null}', value_parser=parse_str_or_none) == {"district": None}
    err = message_of(parse_dict, {"age": 3}, value_parser=parse_str_or_none)
    assert err.path == ("age",)
    assert "not an object" in message_of(parse_dict, "[1]").message
    assert "at most 1" in message_of(parse_dict, {"a": "1", "b": "2"}, max_items=1).message


def test_list_from_list_or_lines() -> None:
    assert parse_list(["a", "b"], parse_string) == ["a", "b"]
    assert parse_list(
        "tel:+250788123123\n\n  mailto:Ana@Example.org \n", lambda v: str(Urn.parse(v))
    ) == [
        "tel:+250788123123",
        "mailto:ana@example.org",
    ]
    err = message_of(parse_list, ["tel:+250788123123", "tel:0788"], Urn.parse)
    assert err.path == (1,)
    assert str(err).startswith("[1]: tel:0788")
    assert "at most 2" in message_of(parse_list, ["a", "b", "c"], parse_string, max_items=2).message
    err = message_of(parse_list, ["ok", "x" * 11], parse_string, item_max_length=10)
    assert err.path == (1,)
    assert "11 characters" in err.message
    assert "not a list" in message_of(parse_list, 5, parse_string).message


def test_json_values_and_text() -> None:
    assert parse_json('{"a": [1, 2.5, null, true]}') == {"a": [1, 2.5, None, True]}
    assert parse_json({"a": 1}) == {"a": 1}
    assert parse_json("3") == 3
    err = message_of(parse_json, '{\n  "a": 1,\n  "b" 2\n}')
    assert "line 3, column 7" in err.message
    assert "NaN" in message_of(parse_json, "[NaN]").message
    assert "cannot be sent as JSON" in message_of(parse_json, {"a": object()}).message
    assert "empty" in message_of(parse_json, "  ").message
    assert "too deeply" in message_of(parse_json, "[" * 100_000).message


@FUZZ
@given(st.text())
def test_any_json_text_parses_or_raises_validation_error(text: str) -> None:
    try:
        parse_json(text)
    except ValidationError as err:
        assert err.message


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------

A_UUID = "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90"
ACCEPTS = [
    "group uuid or name (case-insensitive)",
    "contact uuid or urn",
    "flow uuid",
    "user email (case-insensitive)",
    "media uuid or '<content-type>:<url>' string",
    "contact field key",
    "label name or uuid",
    "campaign uuid (active, unarchived)",
]


def test_uuid_only_references_need_a_uuid() -> None:
    assert parse_reference(A_UUID.upper(), "flow uuid") == A_UUID
    err = message_of(parse_reference, "Registration", "flow uuid")
    assert err.message.startswith('"Registration" is not a UUID')


def test_uuid_or_name_references() -> None:
    assert parse_reference("  Reporters ", "group uuid or name (case-insensitive)") == "Reporters"
    assert parse_reference(A_UUID.upper(), "label name or uuid") == A_UUID
    assert "empty" in message_of(parse_reference, "  ", "group uuid or name").message


def test_uuid_or_urn_references() -> None:
    assert parse_reference(A_UUID, "contact uuid or urn") == A_UUID
    assert parse_reference("tel:+250 788 123 123", "contact uuid or urn") == "tel:+250788123123"
    assert (
        "full international number"
        in message_of(parse_reference, "tel:0788123123", "contact uuid or urn").message
    )
    assert (
        "neither a UUID nor a URN"
        in message_of(parse_reference, "Ana", "contact uuid or urn").message
    )


def test_email_references() -> None:
    assert parse_reference("Ana@Example.org", "user email (case-insensitive)") == "Ana@Example.org"
    assert (
        "not an email address"
        in message_of(parse_reference, "ana", "user email (case-insensitive)").message
    )


def test_media_references() -> None:
    accepts = "media uuid or '<content-type>:<url>' string"
    assert parse_reference(A_UUID, accepts) == A_UUID
    url = "image/jpeg:https://example.org/a.jpg"
    assert parse_reference(url, accepts) == url
    assert "content type and URL" in message_of(parse_reference, "https://x.org/a", accepts).message


def test_field_key_references() -> None:
    assert parse_reference("district", "contact field key") == "district"
    assert "field key" in message_of(parse_reference, "District Name", "contact field key").message


@FUZZ
@given(st.text(), st.sampled_from(ACCEPTS))
def test_any_reference_parses_or_raises_validation_error(text: str, accepts: str) -> None:
    try:
        sent = parse_reference(text, accepts)
    except ValidationError as err:
        assert err.message
    else:
        assert sent.strip() == sent
        assert sent


# ---------------------------------------------------------------------------------------------
# URN fuzzing
# ---------------------------------------------------------------------------------------------


@FUZZ
@given(st.text())
def test_any_text_parses_as_urn_or_raises_validation_error(text: str) -> None:
    try:
        Urn.parse(text)
    except ValidationError as err:
        assert err.message


@FUZZ
@given(
    st.sampled_from([s.scheme for s in URN_SCHEMES]),
    st.one_of(st.text(), st.text(alphabet="+0123456789 -()#@.abcXY", max_size=30)),
    st.sampled_from([None, "RW", "US", "rw"]),
)
def test_any_path_for_any_scheme_parses_or_raises_validation_error(
    scheme: str, path: str, country: str | None
) -> None:
    try:
        urn = Urn.parse(f"{scheme}:{path}", country)
    except ValidationError as err:
        assert err.message
    else:
        # What is sent parses back to itself: normalising twice changes nothing.
        assert urn.scheme == scheme
        assert len(str(urn)) <= MAX_URN_LENGTH
        assert Urn.parse(str(urn)) == urn
