"""The form's editors, one per catalog type, driven as a person would.

Each editor must refuse bad input with the core's own message, hand back what it was given,
and stay reachable from the keyboard; reference editors must offer the sandbox's real
objects. The three busiest forms are also rendered to PNGs for a person to look at.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyleOptionComboBox,
    QToolButton,
    QWidget,
)

from explorer.core.catalog import HttpMethod, Param, catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError
from explorer.core.request import Draft, parse_value, prepare
from explorer.core.values import Urn
from explorer.ui.editors import Editor, EditorContext, create_editor, editor_class
from explorer.ui.editors.date_editor import DateEditor
from explorer.ui.editors.datetime_editor import DateTimeEditor
from explorer.ui.editors.dict_editor import DictEditor
from explorer.ui.editors.int_editor import IntEditor
from explorer.ui.editors.language_combo import languages_ready, warm_languages
from explorer.ui.editors.language_editor import LanguageEditor
from explorer.ui.editors.list_editor import ListEditor
from explorer.ui.editors.ref_editor import RefEditor
from explorer.ui.editors.translations_editor import TranslationsEditor
from explorer.ui.editors.urn_editor import UrnEditor
from explorer.ui.request_form import RequestForm
from explorer.ui.workspace_cache import Option, WorkspaceCache, option_for

RW = EditorContext(default_country="RW", workspace_languages=("eng", "fra", "kin"))


def param(endpoint: str, method: str, name: str) -> Param:
    spec = catalog()[endpoint].method(method)
    for p in (*spec.params, *spec.fields):
        if p.name == name:
            return p
    raise KeyError(name)


def make(qtbot: Any, endpoint: str, method: str, name: str, context: EditorContext | None = None,
         *, body: bool = True) -> Any:
    editor = create_editor(param(endpoint, method, name), body=body, context=context)
    qtbot.addWidget(editor)
    editor.resize(560, editor.sizeHint().height())
    editor.show()
    return editor


def core_message(p: Param, raw: Any, country: str | None = None) -> str:
    """What the core says about ``raw`` for ``p``, placed as the form places it."""
    with pytest.raises(ValidationError) as caught:
        parse_value(p.spec, raw, p, default_country=country)
    problem = caught.value
    return str(problem.at(p.name)) if problem.path else problem.message


@pytest.fixture
def languages(qtbot: Any) -> None:
    warm_languages()
    qtbot.waitUntil(languages_ready, timeout=20_000)


@pytest.fixture
def kolkata() -> Iterator[None]:
    """This computer's time zone as UTC+05:30 for one test (no daylight saving there)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


# --- URNs -------------------------------------------------------------------------------------


def test_local_number_without_country_shows_the_add_country_code_hint(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "GET", "urn", body=False)
    assert isinstance(editor, UrnEditor)
    qtbot.keyClicks(editor.input.path, "tel:0788123123")
    with pytest.raises(ValidationError) as core:
        Urn.parse("tel:0788123123")
    assert editor.error == core.value.message
    assert "add the country code, e.g. +250788123123" in editor.error
    assert editor.error_label.isVisible()
    assert editor.value() == "tel:0788123123"


def test_with_a_default_country_a_local_number_passes_and_shows_its_full_form(
    qtbot: Any,
) -> None:
    editor = make(qtbot, "contacts", "GET", "urn", RW, body=False)
    assert editor.input.current_scheme() == "tel"
    qtbot.keyClicks(editor.input.path, "0788 123 123")
    assert editor.error is None and not editor.error_label.isVisible()
    assert editor.value() == "tel:0788 123 123"  # the core normalises when building
    assert editor.input.hint.isVisible()
    assert "tel:+250788123123" in editor.input.hint.text()


def test_country_from_the_form_context_applies_to_live_editors(qtbot: Any) -> None:
    form = RequestForm()
    qtbot.addWidget(form)
    form.load(catalog()["contacts"], HttpMethod.GET)
    urn = form.params["urn"]
    assert isinstance(urn, UrnEditor)
    urn.set_value("tel:0788123123")
    assert urn.error and "country code" in urn.error
    form.set_context(RW)
    assert urn.error is None
    assert urn.input.normalised() == "tel:+250788123123"
    form.load(catalog()["contacts"], HttpMethod.POST)  # the next form keeps the context
    assert form.fields["urns"].context.default_country == "RW"


def test_garbage_email_refused_with_the_core_message(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "DELETE", "urn", body=False)
    editor.input.scheme.setCurrentIndex(editor.input.scheme.findData("mailto"))
    qtbot.keyClicks(editor.input.path, "ana@@example")
    p = param("contacts", "DELETE", "urn")
    assert editor.error == core_message(p, "mailto:ana@@example")
    assert "not a valid email address" in editor.error


def test_every_scheme_is_offered_with_its_label(qtbot: Any) -> None:
    from explorer.core.values import URN_SCHEMES

    editor = make(qtbot, "contacts", "GET", "urn", body=False)
    combo = editor.input.scheme
    assert [combo.itemData(i) for i in range(combo.count())] == [s.scheme for s in URN_SCHEMES]
    assert combo.itemText(0) == "tel — phone number"
    # Closed, the box draws the scheme alone: the number beside it needs the room.
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    assert option.currentText == "tel"


def test_pasting_a_whole_urn_switches_the_scheme(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "GET", "urn", body=False)
    with qtbot.waitSignal(editor.value_changed):
        editor.input.path.setText("mailto:Ana@Example.org")
    assert editor.input.current_scheme() == "mailto"
    assert editor.value() == "mailto:Ana@Example.org"
    assert editor.error is None
    assert "mailto:ana@example.org" in editor.input.hint.text()
    # Choosing another scheme rewrites the prefix rather than leaving two that disagree.
    editor.input.scheme.setCurrentIndex(editor.input.scheme.findData("ext"))
    assert editor.input.path.text() == "ext:Ana@Example.org"
    assert editor.value() == "ext:Ana@Example.org"


def test_an_unknown_scheme_from_a_saved_request_is_kept_and_named(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "GET", "urn", body=False)
    editor.set_value("sms:+250788123123")
    assert editor.value() == "sms:+250788123123"
    assert editor.error == core_message(param("contacts", "GET", "urn"), "sms:+250788123123")
    other = make(qtbot, "contacts", "DELETE", "urn", body=False)
    assert other.input.scheme.findData("sms") < 0  # the other choosers' lists are untouched


def test_urn_list_rows_add_remove_and_mark_the_bad_one(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "POST", "urns", RW)
    assert isinstance(editor, ListEditor) and len(editor.rows) == 1
    assert editor.value() is None
    first = editor.rows[0].parts["urn"]
    qtbot.keyClicks(first.path, "+250788123123")
    with qtbot.waitSignal(editor.value_changed):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert len(editor.rows) == 2
    second = editor.rows[1].parts["urn"]
    qtbot.keyClicks(second.path, "mailto:ben@")
    assert editor.value() == ["tel:+250788123123", "mailto:ben@"]
    p = param("contacts", "POST", "urns")
    assert editor.error == core_message(p, editor.value())
    assert editor.error.startswith("urns[1]: ")
    assert editor.rows[1].marker.autoFillBackground()
    assert not editor.rows[0].marker.autoFillBackground()
    with qtbot.waitSignal(editor.value_changed):
        qtbot.mouseClick(editor.rows[0].remove, Qt.MouseButton.LeftButton)
    assert len(editor.rows) == 1
    assert editor.value() == ["mailto:ben@"]
    qtbot.mouseClick(editor.rows[0].remove, Qt.MouseButton.LeftButton)
    assert len(editor.rows) == 1 and editor.value() is None  # one row is always left


def test_urn_list_as_text_one_per_line(qtbot: Any) -> None:
    editor = make(qtbot, "broadcasts", "POST", "urns")
    text = editor.findChild(QPlainTextEdit)
    assert text is editor.text and not text.isVisible()
    # Pasting many URNs as text fills the rows, shown or not.
    text.setPlainText("tel:+250788123123\n\n  mailto:a@example.org \ntwitter:rapidpro\n")
    assert editor.value() == ["tel:+250788123123", "mailto:a@example.org", "twitter:rapidpro"]
    assert [r.parts["urn"].current_scheme() for r in editor.rows] == ["tel", "mailto", "twitter"]
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    assert editor.text.isVisible() and not editor.rows_box.isVisible()
    assert not editor.add_button.isVisible()
    editor.rows[0].parts["urn"].set_text("tel:+250788000001")  # rows stay the value's source
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    assert editor.text.toPlainText().splitlines()[0] == "tel:+250788000001"


def test_new_rows_join_the_tab_order_in_place(qtbot: Any) -> None:
    form = RequestForm()
    qtbot.addWidget(form)
    form.load(catalog()["contacts"], HttpMethod.POST)
    urns = form.fields["urns"]
    assert isinstance(urns, ListEditor)
    urns.add_row()
    # The path leads (it is where Tab lands, the input's focus proxy), then its scheme.
    chain = tab_chain(urns.rows[0].parts["urn"].path, 8)
    second = urns.rows[1]
    assert chain[:7] == [
        urns.rows[0].parts["urn"].path,
        urns.rows[0].parts["urn"].scheme,
        urns.rows[0].remove,
        second.parts["urn"].path,
        second.parts["urn"].scheme,
        second.remove,
        urns.add_button,
    ]
    assert chain[7] is urns.text_toggle
    for row in urns.rows:
        assert row.remove.accessibleName().startswith("Remove URN")


def tab_chain(start: QWidget, count: int) -> list[QWidget]:
    """The widgets Tab visits from ``start`` (hidden ones skipped, as Tab skips them)."""
    out = [start]
    widget = start
    while len(out) < count:
        widget = widget.nextInFocusChain()
        if widget is start:
            break
        takes_tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        shown = widget.isVisibleTo(start.window()) or widget.isVisible()
        if takes_tab and shown and widget.focusProxy() is None:
            out.append(widget)
    return out


# --- dates and times --------------------------------------------------------------------------


def test_datetime_picked_in_local_time_gives_the_utc_text(qtbot: Any, kolkata: None) -> None:
    editor = make(qtbot, "messages", "GET", "after", body=False)
    assert isinstance(editor, DateTimeEditor) and editor.value() is None
    qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    popup = editor.popup
    assert popup is not None and popup.isVisible()
    popup.calendar.setSelectedDate(QDate(2026, 1, 5))
    popup.time.setTime(QTime(16, 30, 0))
    popup.micro.setValue(123456)
    with qtbot.waitSignal(editor.value_changed):
        qtbot.mouseClick(popup.ok, Qt.MouseButton.LeftButton)
    assert not popup.isVisible()
    assert editor.line.text() == "2026-01-05 16:30:00.123456"
    assert editor.value() == "2026-01-05T11:00:00.123456Z"
    assert "2026-01-05T11:00:00.123456Z" in editor.hint.text()
    assert "UTC+05:30" in editor.hint.text()


def test_datetime_takes_typed_text_now_and_clear(qtbot: Any, kolkata: None) -> None:
    editor = make(qtbot, "messages", "GET", "before", body=False)
    qtbot.keyClicks(editor.line, "2026-01-05T14:30:00Z")
    assert editor.value() == "2026-01-05T14:30:00.000000Z"
    editor.set_value(editor.value())
    assert editor.line.text() == "2026-01-05 20:00:00.000000"  # shown in local time
    assert editor.value() == "2026-01-05T14:30:00.000000Z"
    editor.line.setText("2026-13-05")
    p = param("messages", "GET", "before")
    assert editor.error == core_message(p, "2026-13-05")
    qtbot.mouseClick(editor.now_button, Qt.MouseButton.LeftButton)
    sent = datetime.strptime(editor.value(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 5
    qtbot.mouseClick(editor.clear_button, Qt.MouseButton.LeftButton)
    assert editor.value() is None and editor.error is None


def test_date_picker_and_clear(qtbot: Any) -> None:
    editor = make(qtbot, "archives", "GET", "after", body=False)
    assert isinstance(editor, DateEditor) and editor.value() is None
    editor.open_picker()
    assert editor.popup is not None
    editor.popup.calendar.setSelectedDate(QDate(2025, 3, 9))
    editor.popup.calendar.clicked.emit(QDate(2025, 3, 9))
    assert editor.value() == "2025-03-09"
    editor.line.setText("2025-02-30")
    assert editor.error == core_message(param("archives", "GET", "after"), "2025-02-30")
    qtbot.mouseClick(editor.clear_button, Qt.MouseButton.LeftButton)
    assert editor.value() is None


# --- languages --------------------------------------------------------------------------------


def test_language_search_by_name_finds_fra(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "contacts", "POST", "language")
    assert isinstance(editor, LanguageEditor)
    qtbot.waitExposed(editor)
    editor.combo.setFocus()  # a completion goes into the line only while it has focus
    qtbot.waitUntil(editor.combo.hasFocus)
    line = editor.combo.lineEdit()
    qtbot.keyClicks(line, "French")
    assert editor.combo.matches()[0] == "fra — French"
    popup = editor.combo.finder.popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert line.text() == "fra — French"
    assert editor.value() == "fra" and editor.error is None
    line.clear()
    qtbot.keyClicks(line, "fr")
    assert editor.combo.matches()[0] == "fra — French"  # the two-letter code finds it too
    line.setText("fre")
    assert editor.error == core_message(param("contacts", "POST", "language"), "fre")
    assert "use fra (French)" in editor.error


def test_typing_while_the_languages_load_offers_matches_once_they_are_in(
    qtbot: Any, languages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from explorer.ui.editors import language_combo

    loaded = False
    monkeypatch.setattr(language_combo, "languages_ready", lambda: loaded)
    editor = make(qtbot, "contacts", "POST", "language")
    qtbot.waitExposed(editor)
    editor.combo.setFocus()  # starts loading the list
    qtbot.waitUntil(editor.combo.hasFocus)
    qtbot.keyClicks(editor.combo.lineEdit(), "French")
    assert editor.combo.matches() == []  # nothing to search yet
    loaded = True
    qtbot.waitUntil(lambda: editor.combo.matches()[:1] == ["fra — French"], timeout=5000)
    qtbot.waitUntil(editor.combo.finder.popup().isVisible)
    assert editor.combo.lineEdit().text() == "French"  # what was typed is kept


def test_language_list_is_built_only_when_used(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "contacts", "POST", "language", RW)
    assert editor.combo.count() == 0  # building the form did not add 7,900 entries
    editor.combo.showPopup()
    editor.combo.hidePopup()
    assert editor.combo.count() > 7000
    assert [editor.combo.itemText(i) for i in range(3)] == [
        "eng — English",
        "fra — French",
        "kin — Kinyarwanda",
    ]


def test_base_language_offers_only_translation_languages(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "broadcasts", "POST", "base_language")
    qtbot.keyClicks(editor.combo.lineEdit(), "Cajun French")
    assert editor.combo.matches() == []  # frc has no two-letter code: not a translation key
    contact = make(qtbot, "contacts", "POST", "language")
    qtbot.keyClicks(contact.combo.lineEdit(), "Cajun French")
    assert contact.combo.matches() == ["frc — Cajun French"]


# --- translations -----------------------------------------------------------------------------


def test_translations_rows_by_language(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "broadcasts", "POST", "text", RW)
    assert isinstance(editor, TranslationsEditor)
    assert editor.rows[0].parts["language"].code() == "eng"  # the workspace's first language
    assert editor.value() is None
    qtbot.keyClicks(editor.rows[0].parts["text"], "Hello")
    row = editor.add_row()
    assert row.parts["language"].code() == "fra"  # the next unused one
    qtbot.keyClicks(row.parts["text"], "Bonjour")
    assert editor.value() == {"eng": "Hello", "fra": "Bonjour"}
    assert editor.error is None


def test_workspace_languages_arriving_fill_an_empty_row_and_change_no_value(
    qtbot: Any, languages: None
) -> None:
    editor = make(qtbot, "broadcasts", "POST", "text")  # no workspace languages known yet
    assert editor.rows[0].parts["language"].code() == ""
    editor.set_error("text: the server's word on it")
    with qtbot.assertNotEmitted(editor.value_changed):  # so the form keeps that message
        editor.set_context(replace(editor.context, workspace_languages=("kin", "eng")))
    assert editor.rows[0].parts["language"].code() == "kin"
    assert editor.value() is None
    assert editor.error == "text: the server's word on it"


def test_translations_refuse_bad_keys_with_the_core_message(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "broadcasts", "POST", "text", RW)
    p = param("broadcasts", "POST", "text")
    editor.set_value({"eng": "Hello", "fr": "Bonjour"})
    assert editor.error == core_message(p, {"eng": "Hello", "fr": "Bonjour"})
    assert editor.error.startswith("text.fr: ") and "use fra" in editor.error
    assert editor.rows[1].marker.autoFillBackground()
    editor.rows[1].parts["language"].set_code("frc")
    assert "cannot be used for translations" in (editor.error or "")
    editor.rows[1].parts["language"].set_code("fra")
    assert editor.error is None


def test_translations_json_toggle_and_bare_value(qtbot: Any, languages: None) -> None:
    editor = make(qtbot, "campaign_events", "POST", "message", RW)
    editor.set_value({"eng": "Hi", "kin": "Muraho"})
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    assert json.loads(editor.text.toPlainText()) == {"eng": "Hi", "kin": "Muraho"}
    editor.text.setPlainText('{"eng": "Hi", "fra": "Salut"}')
    assert editor.value() == {"eng": "Hi", "fra": "Salut"}
    assert [r.parts["language"].code() for r in editor.rows] == ["eng", "fra"]
    editor.text.setPlainText('{"eng": "Hi",')  # a typo is kept, and the core says where
    assert editor.value() == '{"eng": "Hi",'
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    assert editor.text_toggle.isChecked()  # rows cannot show it: stays as text
    editor.set_value("Hello everyone")  # a bare value is the workspace's default language
    assert editor.value() == "Hello everyone"
    assert editor.rows[0].parts["language"].code() == ""


def test_translations_of_lists_one_per_line_or_json(qtbot: Any, languages: None) -> None:
    attachments = make(qtbot, "broadcasts", "POST", "attachments")
    value = {"eng": ["image/jpeg:https://example.com/a.jpg", "image/png:https://example.com/b.png"]}
    attachments.set_value(value)
    assert attachments.rows[0].parts["text"].toPlainText().count("\n") == 1
    assert attachments.value() == value
    replies = make(qtbot, "broadcasts", "POST", "quick_replies")
    value = {"eng": [{"text": "Yes"}, {"text": "No"}], "fra": [{"text": "Oui"}]}
    replies.set_value(value)
    assert replies.value() == value
    replies.rows[1].parts["text"].setPlainText('[{"text": "Oui"')
    assert replies.error is not None and "fra" in replies.error


# --- objects, numbers, lists ------------------------------------------------------------------


def test_fields_rows_of_key_and_value(qtbot: Any) -> None:
    editor = make(qtbot, "contacts", "POST", "fields")
    assert isinstance(editor, DictEditor) and editor.value() is None
    row = editor.rows[0]
    qtbot.keyClicks(row.parts["key"], "nickname")
    qtbot.keyClicks(row.parts["value"], "Macklemore")
    row = editor.add_row()
    qtbot.keyClicks(row.parts["key"], "side_kick")
    assert editor.value() == {"nickname": "Macklemore", "side_kick": ""}
    editor.set_value({"a": "1", "b": None})  # null clears a field: only JSON can say it
    assert editor.text_toggle.isChecked() and editor.value() == {"a": "1", "b": None}
    editor.text.setPlainText('{"nickname": ')
    p = param("contacts", "POST", "fields")
    assert editor.error == core_message(p, '{"nickname": ')
    assert "line 1, column" in editor.error
    editor.text.setPlainText('{"nickname": "Ben"}')
    qtbot.mouseClick(editor.text_toggle, Qt.MouseButton.LeftButton)
    assert not editor.text_toggle.isChecked()
    assert editor.rows[0].parts["key"].text() == "nickname"


def test_int_refuses_letters(qtbot: Any) -> None:
    editor = make(qtbot, "messages", "GET", "broadcast", body=False)
    assert isinstance(editor, IntEditor)
    qtbot.keyClicks(editor.line, "12ab3")
    assert editor.line.text() == "123"  # letters are not even typed
    assert editor.value() == "123" and editor.error is None
    editor.set_value("12ab")  # a saved request can still hold anything
    assert editor.error == core_message(param("messages", "GET", "broadcast"), "12ab")
    hour = make(qtbot, "campaign_events", "POST", "delivery_hour")
    assert "-1 to 23" in hour.line.placeholderText()
    hour.set_value(24)
    assert hour.error == core_message(param("campaign_events", "POST", "delivery_hour"), "24")
    assert "the largest allowed is 23" in hour.error


def test_list_of_numbers_and_uuids(qtbot: Any) -> None:
    numbers = make(qtbot, "message_actions", "POST", "messages")
    numbers.set_value([1, 2, 3])
    assert numbers.value() == ["1", "2", "3"]
    qtbot.keyClicks(numbers.rows[0].parts["line"], "x")
    assert numbers.rows[0].parts["line"].text() == "1"
    uuids = make(qtbot, "definitions", "GET", "flow", body=False)
    uuids.set_value(["not-a-uuid"])
    assert uuids.error == core_message(param("definitions", "GET", "flow"), ["not-a-uuid"])


# --- every type: round trips and "unset" ------------------------------------------------------

ROUND_TRIPS: list[tuple[str, str, str, Any, Any]] = [
    # endpoint, method, name, value given, value() expected
    ("contacts", "POST", "name", "Ben Haggerty", "Ben Haggerty"),
    ("contacts", "POST", "note", "Line one\nline two", "Line one\nline two"),
    ("contacts", "POST", "uuid", "09d23a05-47fe-11e4-bfe9-b8f6b119e9ab",
     "09d23a05-47fe-11e4-bfe9-b8f6b119e9ab"),
    ("contacts", "POST", "urn", "tel:+250788123123", "tel:+250788123123"),
    ("contacts", "POST", "expand_urns", True, True),
    ("contacts", "POST", "expand_urns", False, False),
    ("contacts", "POST", "urn_order", "priority", "priority"),
    ("contacts", "POST", "language", "kin", "kin"),
    ("contacts", "POST", "urns", ["tel:+250788123123", "mailto:ben@example.com"],
     ["tel:+250788123123", "mailto:ben@example.com"]),
    ("contacts", "POST", "groups", ["Reporters", "Farmers"], ["Reporters", "Farmers"]),
    ("contacts", "POST", "groups", [{"uuid": "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90",
                                     "name": "Reporters"}],
     ["5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90"]),
    ("contacts", "POST", "fields", {"nickname": "Mack", "side_kick": "Ryan"},
     {"nickname": "Mack", "side_kick": "Ryan"}),
    ("contacts", "GET", "before", "2026-01-05T14:30:00.000000Z", "2026-01-05T14:30:00.000000Z"),
    ("contacts", "GET", "group", "Reporters", "Reporters"),
    ("archives", "GET", "after", "2025-03-09", "2025-03-09"),
    ("messages", "GET", "id", 12, "12"),
    ("messages", "POST", "quick_replies", [{"text": "Yes"}], [{"text": "Yes"}]),
    ("messages", "POST", "attachments", ["image/jpeg:https://example.com/a.jpg"],
     ["image/jpeg:https://example.com/a.jpg"]),
    ("message_actions", "POST", "messages", [1, 2], ["1", "2"]),
    ("definitions", "GET", "flow", ["f5901b62-ba76-4003-9c62-72fdacc1b7b7"],
     ["f5901b62-ba76-4003-9c62-72fdacc1b7b7"]),
    ("broadcasts", "POST", "text", {"eng": "Hello", "fra": "Bonjour"},
     {"eng": "Hello", "fra": "Bonjour"}),
    ("broadcasts", "POST", "text", "Hello", "Hello"),
    ("broadcasts", "POST", "attachments", {"eng": ["image/jpeg:https://example.com/a.jpg"]},
     {"eng": ["image/jpeg:https://example.com/a.jpg"]}),
    ("broadcasts", "POST", "base_language", "eng", "eng"),
    ("flow_starts", "POST", "params", {"first_name": "Ben"}, {"first_name": "Ben"}),
    ("flow_starts", "POST", "flow", {"uuid": "f5901b62-ba76-4003-9c62-72fdacc1b7b7"},
     "f5901b62-ba76-4003-9c62-72fdacc1b7b7"),
    ("media", "POST", "file", "/tmp/photo.jpg", "/tmp/photo.jpg"),
]


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_value_round_trips(qtbot: Any, case: tuple[str, str, str, Any, Any]) -> None:
    endpoint, method, name, given, expected = case
    body = param(endpoint, method, name) in catalog()[endpoint].method(method).fields
    editor = make(qtbot, endpoint, method, name, body=body)
    changes: list[None] = []
    editor.value_changed.connect(lambda: changes.append(None))
    editor.set_value(given)
    assert editor.value() == expected
    assert changes, "set_value must announce the change"
    editor.set_value(editor.value())
    assert editor.value() == expected
    editor.set_value(None)
    assert editor.value() is None


def test_every_form_has_the_right_editor_for_every_parameter(qtbot: Any) -> None:
    form = RequestForm()
    qtbot.addWidget(form)
    for endpoint in catalog():
        for spec in endpoint.methods:
            form.load(endpoint, spec.method)
            for items, prefix in ((spec.form_params, "param"), (spec.fields, "field")):
                for p in items:
                    name = f"{prefix}_{p.name}"
                    editor = form.findChild(Editor, name)
                    where = f"{endpoint.name} {spec.method} {name}"
                    assert editor is not None, f"no editor for {where}"
                    assert type(editor) is editor_class(p), where
                    assert editor.accessibleName() == p.name, where
                    assert editor.focusProxy() is not None, f"{where} cannot take focus"
                    assert editor.value() is None, f"{where} is not empty when built"
                    for button in editor.findChildren(QToolButton):
                        assert button.accessibleName() or button.text(), where
            draft = form.draft()
            assert not any(draft.params.values()) and not any(draft.body.values())
    assert not form.findChildren(Editor, "param_cursor")  # the pager owns pagination


# --- suggestions from the live workspace ------------------------------------------------------


@pytest.fixture
def cache(qloop: Any, arun: Callable[..., Any], sandbox: Any) -> Iterator[WorkspaceCache]:
    http = make_http_client()
    yield WorkspaceCache(http, Connection("Sandbox", sandbox.base_url, sandbox.token))
    arun(http.aclose())


def suggestions(completer: Any, typed: str) -> list[tuple[str, str]]:
    """(shown, inserted) for what the completer offers after ``typed``."""
    completer.setCompletionPrefix(typed)
    model = completer.completionModel()
    return [
        (model.index(i, 0).data(), completer.pathFromIndex(model.index(i, 0)))
        for i in range(model.rowCount())
    ]


def test_group_filter_suggests_the_sandbox_groups(
    qtbot: Any, cache: WorkspaceCache, arun: Callable[..., Any]
) -> None:
    expected = {o.label for o in arun(cache.options("groups"))}
    assert "Volunteers" in expected
    cache.invalidate()
    form = RequestForm()
    qtbot.addWidget(form)
    form.set_context(EditorContext(cache=cache))
    form.load(catalog()["contacts"], HttpMethod.GET)
    editor = form.params["group"]
    assert isinstance(editor, RefEditor)
    assert editor.options.rowCount() == 0  # nothing is fetched until the field is used
    with qtbot.waitSignal(cache.options_ready, timeout=10_000):
        editor.completer.start()  # what focusing the field does
    shown = {editor.options.item(i).text() for i in range(editor.options.rowCount())}
    assert shown == expected
    offered = suggestions(editor.completer, "volun")
    assert ("Volunteers", "Volunteers") in offered  # "name or uuid": the name goes in


def test_choosing_a_suggestion_with_the_keyboard(qtbot: Any, cache: WorkspaceCache,
                                                  arun: Callable[..., Any]) -> None:
    flows = {o.label: o.uuid for o in arun(cache.options("flows"))}
    form = RequestForm()
    qtbot.addWidget(form)
    form.set_context(EditorContext(cache=cache))
    form.load(catalog()["flow_starts"], HttpMethod.POST)
    form.show()
    qtbot.waitExposed(form)
    editor = form.fields["flow"]
    assert isinstance(editor, RefEditor)
    editor.line.setFocus()
    qtbot.waitUntil(lambda: editor.options.rowCount() == len(flows), timeout=10_000)
    qtbot.keyClicks(editor.line, "registr")
    popup = editor.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert editor.value() == flows["Registration"]  # "flow uuid": the UUID goes in
    assert editor.hint.text().startswith("Registration")
    editor.line.clear()
    qtbot.keyClick(editor.line, Qt.Key.Key_Down)  # Down on an empty field lists everything
    qtbot.waitUntil(popup.isVisible)
    assert editor.completer.completionCount() == len(flows)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible() and editor.value() is None


def test_contact_groups_rows_suggest_the_sandbox_groups(
    qtbot: Any, cache: WorkspaceCache
) -> None:
    editor = make(qtbot, "contacts", "POST", "groups", EditorContext(cache=cache))
    assert isinstance(editor, ListEditor)
    completer = editor.rows[0].parts["line"].completer()
    with qtbot.waitSignal(cache.options_ready, timeout=10_000):
        completer.start()
    assert ("Volunteers", "Volunteers") in suggestions(completer, "Vol")
    second = editor.add_row()  # new rows share the suggestions without fetching again
    assert ("Volunteers", "Volunteers") in suggestions(second.parts["line"].completer(), "vol")


def test_uuid_only_references_insert_the_uuid(qtbot: Any, cache: WorkspaceCache,
                                              arun: Callable[..., Any]) -> None:
    flows = arun(cache.options("flows"))
    editor = make(qtbot, "flow_starts", "POST", "flow", EditorContext(cache=cache))
    editor.completer.start()
    qtbot.waitUntil(lambda: editor.options.rowCount() == len(flows), timeout=10_000)
    flow = flows[0]
    offered = dict(suggestions(editor.completer, flow.label))
    assert offered[flow.label] == flow.uuid
    editor.line.setText(flow.uuid or "")
    assert editor.hint.isVisible() and flow.label in editor.hint.text()  # names the UUID


def test_contacts_show_their_first_urn_and_users_their_email(
    qtbot: Any, cache: WorkspaceCache, arun: Callable[..., Any]
) -> None:
    contacts = arun(cache.options("contacts"))
    assert contacts and all(o.uuid for o in contacts)
    first = next(o for o in contacts if o.detail)
    assert first.detail.split(":")[0] in ("tel", "mailto", "whatsapp", "telegram", "ext",
                                          "facebook", "twitter", "twitterid", "viber")
    assert first.insert_text("contact uuid or urn") == first.uuid
    users = arun(cache.options("users"))
    assert users and all("@" in (o.key or "") for o in users)
    editor = make(qtbot, "ticket_actions", "POST", "assignee", EditorContext(cache=cache))
    editor.completer.start()
    qtbot.waitUntil(lambda: editor.options.rowCount() > 0, timeout=10_000)
    offered = suggestions(editor.completer, users[0].key or "")
    assert (users[0].label, users[0].key) in offered


def test_field_keys_suggested_for_contact_fields(qtbot: Any, cache: WorkspaceCache) -> None:
    editor = make(qtbot, "contacts", "POST", "fields", EditorContext(cache=cache))
    key = editor.rows[0].parts["key"]
    with qtbot.waitSignal(cache.options_ready, timeout=10_000):
        key.completer().start()
    inserted = {path for _, path in suggestions(key.completer(), "")}
    assert "ward" in inserted  # the sandbox's /fields.json keys
    assert all(path == path.lower() for path in inserted)


def test_one_fetch_per_endpoint_shared_by_every_editor(
    qtbot: Any, cache: WorkspaceCache, arun: Callable[..., Any]
) -> None:
    form = RequestForm()
    qtbot.addWidget(form)
    form.set_context(EditorContext(cache=cache))
    form.load(catalog()["broadcasts"], HttpMethod.POST)
    groups = form.fields["groups"]
    contacts = form.fields["contacts"]
    assert isinstance(groups, ListEditor) and isinstance(contacts, ListEditor)
    with qtbot.waitSignal(cache.options_ready, timeout=10_000):
        groups.rows[0].parts["line"].completer().start()
        groups.add_row().parts["line"].completer().start()  # joins the fetch under way
    assert cache.is_fresh("groups") and not cache.is_fresh("contacts")
    assert groups.options.rowCount() == len(cache.cached("groups") or [])
    # Another workspace, no token.
    fresh = WorkspaceCache(cache.http, Connection("Other", cache.base_url, None))
    form.set_context(EditorContext(cache=fresh))
    assert groups.options.rowCount() == 0  # the old workspace's groups are gone
    assert arun(fresh.options("groups")) == []  # refused without a token: no suggestions


def test_workspace_languages_come_first(cache: WorkspaceCache, arun: Callable[..., Any]) -> None:
    assert arun(cache.languages()) == ("eng", "fra", "kin")


def test_a_failing_workspace_means_no_suggestions(
    qtbot: Any, qloop: Any, arun: Callable[..., Any]
) -> None:
    http = make_http_client(timeout=2)
    dead = WorkspaceCache(http, Connection("Dead", "http://127.0.0.1:9", "token"))
    with qtbot.waitSignal(dead.options_ready, timeout=10_000) as ready:
        dead.request("groups")
    assert ready.args == ["groups"]
    assert dead.cached("groups") == []
    assert dead.problem("groups")  # why: the connection was refused
    editor = make(qtbot, "contacts", "GET", "group", EditorContext(cache=dead), body=False)
    editor.completer.start()
    with qtbot.waitSignal(editor.options.loaded, timeout=10_000):
        dead.invalidate("groups")
        editor.completer.start()
    assert editor.options.rowCount() == 0
    assert "No suggestions:" in editor.line.toolTip()
    editor.line.setText("Reporters")  # typing by hand still works
    assert editor.value() == "Reporters" and editor.error is None
    assert arun(dead.options("media")) == []  # no GET to list
    assert arun(dead.languages()) == ()
    arun(http.aclose())


def test_options_from_results() -> None:
    group = option_for("groups", {"uuid": "u1", "name": "Reporters"})
    assert group == Option("Reporters", "u1", "u1")
    assert group is not None and group.insert_text("group uuid or name") == "Reporters"
    assert group.insert_text("flow uuid") == "u1"
    field = option_for("fields", {"key": "ward", "name": "Ward"})
    assert field is not None and field.insert_text("contact field key") == "ward"
    assert option_for("groups", {"count": 3}) is None


# --- looking at it ----------------------------------------------------------------------------

SHOTS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("contacts", "POST", {"urn": "tel:0788 123 123"}, {
        "name": "Ben Haggerty",
        "language": "fra",
        "urns": ["tel:+250788123123", "mailto:ben@example"],
        "groups": ["Reporters"],
        "fields": {"nickname": "Macklemore"},
    }),
    ("broadcasts", "POST", {}, {
        "text": {"eng": "Hello @contact.name!", "fra": "Bonjour @contact.name!"},
        "groups": ["Reporters"],
        "attachments": {"eng": ["image/jpeg:https://example.com/photo.jpg"]},
        "base_language": "eng",
    }),
    ("messages", "GET", {"before": "2026-01-05T14:30:00.000000Z", "folder": "inbox"}, {}),
]


@pytest.mark.parametrize("shot", SHOTS, ids=lambda s: f"{s[0]}-{s[1]}")
def test_forms_render_without_clipping(
    qtbot: Any, languages: None, shot: tuple[str, str, dict[str, Any], dict[str, Any]]
) -> None:
    endpoint, method, params, body = shot
    form = RequestForm()
    qtbot.addWidget(form)
    form.set_context(RW)
    form.resize(620, 1000)
    form.show()
    qtbot.waitExposed(form)
    form.load(catalog()[endpoint], HttpMethod(method))
    form.set_values(params, body)
    qtbot.wait(20)
    path = Path(f"/tmp/form_{endpoint}_{method.lower()}.png")
    assert form.grab().save(str(path))
    assert path.stat().st_size > 1000
    for editor in (*form.params.values(), *form.fields.values()):
        # Nothing squeezed below the size it needs to show itself.
        assert editor.height() >= editor.minimumSizeHint().height(), editor.objectName()
        assert editor.width() >= 300, editor.objectName()
        for label in editor.findChildren(QLabel):
            if label.isVisible() and label.text():
                assert label.height() >= label.fontMetrics().height(), editor.objectName()
    draft = form.draft()
    errors = [e for e in (form.editor(n) for n in (*draft.params, *draft.body)) if e and e.error]
    # The one bad value on show is the unfinished email in the contacts form.
    assert [e.objectName() for e in errors] == (["field_urns"] if endpoint == "contacts" else [])
    if endpoint != "contacts":
        prepare(Draft(endpoint, HttpMethod(method), draft.params, draft.body))


def test_line_edits_first_in_each_editor_are_the_value(qtbot: Any) -> None:
    """Automation finds an editor's input as its first line edit: keep that the value box."""
    form = RequestForm()
    qtbot.addWidget(form)
    form.load(catalog()["contacts"], HttpMethod.POST)
    for name in ("param_urn", "field_name", "field_language"):
        editor = form.findChild(Editor, name)
        box = editor.findChild(QLineEdit)
        box.setText("tel:+250788123123" if name == "param_urn" else "fra")
        assert editor.value() == box.text()
