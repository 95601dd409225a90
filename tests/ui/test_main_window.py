"""The main window driven as a person would, against the sandbox over real HTTP."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from explorer.core.catalog import catalog
from explorer.core.client import Outcome, make_http_client
from explorer.core.connection import Connection
from explorer.ui.main_window import MainWindow

SHOTS = os.environ.get("EXPLORER_TEST_SHOTS")  # a folder: some tests save what they show there
NAMES = [
    "endpointTree",
    "endpointFilter",
    "methodSelector",
    "requestForm",
    "rawQueryEdit",
    "rawBodyEdit",
    "requestPreview",
    "sendButton",
    "cancelButton",
    "responseView",
    "statusLabel",
    "rateLimitBanner",
    "workspaceSelector",
]


@pytest.fixture
def window(qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path) -> Iterator[MainWindow]:
    http = make_http_client()
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog(), http, settings)
    qtbot.addWidget(win)
    win.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.ask_before_close = False  # teardown: whatever a test typed may go
    win.close()
    qloop.run_until_complete(http.aclose()) if not qloop.is_running() else None


def choose(win: MainWindow, endpoint: str, method: str) -> None:
    win.endpoints.select(endpoint)
    names = [m.value for m in win.catalog[endpoint].method_names]
    win.method_selector.setCurrentIndex(names.index(method))
    assert win.form.endpoint is not None and win.form.endpoint.name == endpoint
    assert win.form.method.value == method


def send_and_wait(qtbot: Any, win: MainWindow) -> Outcome:
    assert win.send_button.isEnabled(), win.send_problem.text()
    with qtbot.waitSignal(win.outcome_shown, timeout=15000) as blocker:
        qtbot.mouseClick(win.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def line(win: MainWindow, name: str) -> QLineEdit:
    editor = win.findChild(QWidget, name)
    assert editor is not None, name
    edit = editor.findChild(QLineEdit)
    assert edit is not None
    return edit


def text(win: MainWindow, name: str) -> QPlainTextEdit:
    editor = win.findChild(QWidget, name)
    assert editor is not None, name
    return editor.findChild(QPlainTextEdit)


def test_named_widgets_for_automation_and_screen_readers(window: MainWindow) -> None:
    for name in NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, f"no widget named {name}"
        assert widget.accessibleName(), f"{name} has no accessible name"


def test_every_endpoint_listed_and_filter_matches_parameters(
    window: MainWindow, qtbot: Any
) -> None:
    assert sorted(window.endpoints.visible_endpoints()) == sorted(e.name for e in catalog())
    qtbot.keyClicks(window.endpoints.filter, "restart_participants")
    assert window.endpoints.visible_endpoints() == ["flow_starts"]
    window.endpoints.filter.clear()
    qtbot.keyClicks(window.endpoints.filter, "ticket")
    assert set(window.endpoints.visible_endpoints()) >= {"tickets", "ticket_actions"}


def test_endpoint_rows_show_method_badges_and_mark_deprecated(
    window: MainWindow, qtbot: Any
) -> None:
    tree = window.endpoints.tree
    found = {
        name: tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)[0]
        for name in ("definitions", "contacts", "runs")
    }
    old = found["definitions"]
    assert old.font(0).strikeOut() and not found["runs"].font(0).strikeOut()
    assert "deprecated" in old.data(0, Qt.ItemDataRole.AccessibleTextRole)
    assert found["contacts"].data(0, Qt.ItemDataRole.AccessibleTextRole) == (
        "contacts, GET, POST, DELETE"
    )
    # Each method's badge is painted after the name, in its own colour.
    tree.scrollToItem(found["contacts"])
    tree.clearSelection()
    tree.setCurrentItem(found["runs"])  # the contacts row is drawn unselected
    qtbot.wait(10)
    image = tree.viewport().grab().toImage()
    row = tree.visualItemRect(found["contacts"])
    colours = {
        image.pixelColor(x, row.center().y()).name()
        for x in range(row.left(), min(row.right(), image.width() - 1))
    }
    assert {"#2e7d32", "#1565c0", "#c62828"} <= colours  # GET, POST, DEL


def test_every_endpoint_row_fits_the_default_sidebar(window: MainWindow) -> None:
    # resthook_subscribers with GET, POST and DEL is the widest; a badge cut off would hide
    # a method.
    tree = window.endpoints.tree
    assert window.size().width() == 1440  # the default layout: nothing was remembered
    assert tree.sizeHintForColumn(0) <= tree.viewport().width()


def test_each_alt_key_of_the_window_leads_to_one_place(window: MainWindow) -> None:
    import re

    from PySide6.QtWidgets import QAbstractButton, QTabWidget

    # The fetch-all and runner panels hold mnemonics too: build them.
    assert window.request_panel.fetch_all is not None and window.panels.runner is not None
    texts = [b.text() for b in window.findChildren(QAbstractButton)]
    texts += [label.text() for label in window.findChildren(QLabel) if label.buddy()]
    for tabs in window.findChildren(QTabWidget):
        texts += [tabs.tabText(i) for i in range(tabs.count())]
    texts += [action.text() for action in window.menuBar().actions()]
    keys = [m.group(1).lower() for t in texts if (m := re.search(r"&([^&\s])", t))]
    assert len(keys) >= 15, texts
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == [], texts


def test_side_panels_are_built_when_first_looked_at(window: MainWindow, qtbot: Any) -> None:
    from explorer.ui.history_panel import HistoryPanel

    assert window.side_tabs.currentIndex() == 0
    assert window.findChild(HistoryPanel) is None  # not built for the first screen
    window.side_tabs.setCurrentIndex(window.side_tabs.count() - 1)  # History
    panel = window.findChild(HistoryPanel)
    assert panel is not None and panel.isVisible()
    assert window.panels.history is panel  # built once, then kept


def test_the_view_menu_names_every_side_tab_and_brings_it_in_front(
    window: MainWindow, qtbot: Any
) -> None:
    from explorer.ui.datasets_panel import DatasetsPanel

    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    entries = {a.text().replace("&", ""): a for a in view.actions() if not a.isSeparator()}
    assert list(entries) == [
        "Endpoints",
        "Collections",
        "Datasets: local copies of runs and messages",
        "History",
        "Runner",
    ]
    entries["Datasets: local copies of runs and messages"].trigger()
    panel = window.findChild(DatasetsPanel)
    assert panel is not None and panel.isVisible()  # the tab with only an icon, by its name
    focused = window.focusWidget()
    assert focused is not None and panel.isAncestorOf(focused)  # keys go on from there
    entries["Endpoints"].trigger()
    assert window.endpoints.isVisible() and not panel.isVisible()
    entries["Runner"].trigger()
    qtbot.waitUntil(window.runner_dock.isVisible)


def test_docs_show_every_field_with_type_and_example(window: MainWindow) -> None:
    choose(window, "contacts", "POST")
    docs = window.docs.toPlainText()
    for field in catalog()["contacts"].method("POST").fields:
        assert f"{field.name} {field.type}" in docs
    assert "urns list[urn]" in docs and "tel:+250788123123" in docs


def test_list_contacts_filtered_by_group(window: MainWindow, qtbot: Any, sandbox: Any) -> None:
    choose(window, "groups", "GET")
    groups = send_and_wait(qtbot, window).results
    assert groups
    group = next(g for g in groups if g["count"])
    choose(window, "contacts", "GET")
    line(window, "param_group").setText(group["name"])
    assert f"group={group['name'].replace(' ', '+')}" in window.preview.toPlainText()
    outcome = send_and_wait(qtbot, window)
    assert outcome.status == 200
    results = outcome.results
    assert results and all(group["uuid"] in [g["uuid"] for g in c["groups"]] for c in results)
    body = window.response.body
    qtbot.waitUntil(body.is_finished, timeout=5000)
    shown = json.loads("\n".join(body.row_text(r) for r in range(body.row_count())))
    assert shown["results"][0]["uuid"] == results[0]["uuid"]
    assert "200" in window.response.status_label.text()


def test_invalid_value_flagged_inline_and_send_disabled(window: MainWindow) -> None:
    choose(window, "contacts", "GET")
    line(window, "param_urn").setText("tel:0788123123")
    editor = window.findChild(QWidget, "param_urn")
    message = editor.findChild(QLabel, "editorError").text()
    assert "add the country code" in message
    assert not window.send_button.isEnabled()
    assert "add the country code" in window.send_problem.text()
    line(window, "param_urn").setText("tel:+250788123123")
    assert window.send_button.isEnabled()


def test_create_update_delete_a_contact(window: MainWindow, qtbot: Any) -> None:
    name = f"Ada {uuid.uuid4().hex[:6]}"
    phone = f"tel:+25078{uuid.uuid4().int % 10**7:07d}"
    choose(window, "contacts", "POST")
    line(window, "field_name").setText(name)
    text(window, "field_urns").setPlainText(f"{phone}\nmailto:{name.split()[1]}@example.com")
    line(window, "field_language").setText("fra")
    created = send_and_wait(qtbot, window)
    assert created.status == 201, created.text
    contact = created.json
    assert contact["name"] == name and contact["language"] == "fra"
    assert phone in contact["urns"]

    choose(window, "contacts", "POST")
    window.form.set_values({"uuid": contact["uuid"]}, {"name": name + " Lovelace"})
    updated = send_and_wait(qtbot, window)
    assert updated.status == 200 and updated.json["name"] == name + " Lovelace"

    choose(window, "contacts", "DELETE")
    window.form.set_values({"uuid": contact["uuid"]}, {})
    deleted = send_and_wait(qtbot, window)
    assert deleted.status == 204
    assert window.response.body.row_count() == 0
    assert "sends nothing back" in window.response.meaning_label.text()

    choose(window, "contacts", "GET")
    window.form.set_values({"uuid": contact["uuid"]}, {})
    again = send_and_wait(qtbot, window)
    assert again.results == []


def test_server_field_errors_marked_on_the_form(window: MainWindow, qtbot: Any) -> None:
    choose(window, "contacts", "POST")
    line(window, "field_name").setText("Dup")
    text(window, "field_fields").setPlainText('{"no_such_field_here": "x"}')
    outcome = send_and_wait(qtbot, window)
    assert outcome.status == 400
    editor = window.findChild(QWidget, "field_fields")
    assert editor.findChild(QLabel, "editorError").isVisible()
    # The workspace's languages arriving later (they are fetched for the language field)
    # leave what the server said in place.
    window.form.set_context(replace(window.form.context, workspace_languages=("eng", "fra")))
    assert editor.findChild(QLabel, "editorError").isVisible()


def test_copy_snippets_never_carry_the_token(window: MainWindow, qapp: Any, sandbox: Any) -> None:
    choose(window, "contacts", "GET")
    menu = window.request_panel.copy_button.menu()
    assert [a.text().replace("&", "") for a in menu.actions()] == [
        "curl",
        "Python httpx",
        "TembaClient",
    ]
    for action in (window.copy_curl, window.copy_httpx, window.copy_temba):
        assert action.isEnabled()
        action.trigger()
        copied = qapp.clipboard().text()
        assert "RAPIDPRO_TOKEN" in copied and sandbox.token not in copied
    assert sandbox.token not in window.preview.toPlainText()


def test_remembers_endpoint_and_splitters(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    http = make_http_client()
    first = MainWindow(catalog(), http, settings)
    qtbot.addWidget(first)
    choose(first, "flows", "GET")
    first.panels.collections.open_folder(tmp_path / "checkout")  # a collection kept elsewhere
    first.splitter.setSizes([300, 1000])  # the endpoint list | the request tabs
    first.current_tab.splitter.setSizes([500, 500])  # a tab's request | its response
    sizes = first.splitter.sizes(), first.current_tab.splitter.sizes()
    first.close()
    second = MainWindow(catalog(), http, settings)
    qtbot.addWidget(second)
    assert second.endpoints.current() == "flows"
    assert (tmp_path / "checkout") in [c.root for c in second.panels.collections.collections()]
    assert (second.splitter.sizes(), second.current_tab.splitter.sizes()) == sizes
    assert isinstance(second.workspace_selector, QComboBox)


def test_raw_mode_and_form_stay_in_sync(window: MainWindow, qtbot: Any) -> None:
    choose(window, "contacts", "POST")
    line(window, "field_name").setText("Grace")
    assert '"name": "Grace"' in window.raw_body.toPlainText()
    # Raw → form: a pasted query keeps its literal '+'.
    window.raw_query.setPlainText("urn=tel:+250788123123")
    window.raw_body.setPlainText('{"name": "Grace Hopper", "language": "eng"}')
    assert window.raw.read()
    assert line(window, "param_urn").text() == "tel:+250788123123"
    assert line(window, "field_name").text() == "Grace Hopper"
    assert "urn=tel%3A%2B250788123123" in window.preview.toPlainText()


def test_invalid_raw_json_says_where_and_keeps_the_form(window: MainWindow) -> None:
    choose(window, "contacts", "POST")
    line(window, "field_name").setText("Kept")
    window.request_tabs.setCurrentWidget(window.raw)
    window.raw_body.setPlainText('{\n  "name": "Lost"\n  "language": "eng"\n}')
    assert not window.raw.read()
    problem = window.findChild(QLabel, "rawProblem")
    assert problem.isVisible() and "Line 3, column 3" in problem.text()
    assert line(window, "field_name").text() == "Kept"


def test_raw_names_the_form_lacks_are_reported(window: MainWindow) -> None:
    choose(window, "contacts", "GET")
    window.raw_query.setPlainText("grup=Reporters")
    assert window.raw.read()
    assert not window.send_button.isEnabled()
    assert "did you mean group?" in window.send_problem.text()


def _answer_confirmation(qtbot: Any, win: MainWindow, button: Any) -> str:
    from PySide6.QtWidgets import QMessageBox

    def showing() -> list[QMessageBox]:
        return [b for b in win.findChildren(QMessageBox) if b.isVisible()]

    qtbot.waitUntil(lambda: bool(showing()), timeout=5000)
    box = showing()[0]
    text = box.text()
    box.button(button).click()
    return text


def test_delete_on_a_real_workspace_asks_first(
    window: MainWindow, qtbot: Any, sandbox: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    window.set_connection(Connection("Production", sandbox.base_url, sandbox.token))
    assert "real data of Production" in window.workspace_banner.text()
    choose(window, "groups", "POST")
    line(window, "field_name").setText(f"Doomed {uuid.uuid4().hex[:6]}")
    group = send_and_wait_confirmed(qtbot, window)
    assert group.status == 201
    choose(window, "groups", "DELETE")
    line(window, "param_uuid").setText(group.json["uuid"])
    window.send()
    text = _answer_confirmation(qtbot, window, QMessageBox.StandardButton.Cancel)
    assert "Production" in text and group.json["uuid"] in text
    qtbot.waitUntil(lambda: not window.session.busy, timeout=5000)
    assert "Not sent" in window.response.status_label.text()
    with qtbot.waitSignal(window.outcome_shown, timeout=15000) as blocker:
        window.send()
        _answer_confirmation(qtbot, window, QMessageBox.StandardButton.Yes)
    assert blocker.args[0].status == 204


def send_and_wait_confirmed(qtbot: Any, win: MainWindow) -> Outcome:
    """A create needs no confirmation, even on a real workspace."""
    return send_and_wait(qtbot, win)


def test_400_lists_the_refused_values_and_headers_are_shown(window: MainWindow, qtbot: Any) -> None:
    phone = f"tel:+25078{uuid.uuid4().int % 10**7:07d}"
    choose(window, "contacts", "POST")
    window.raw_body.setPlainText(json.dumps({"urns": [phone]}))
    window.raw.read()
    assert send_and_wait(qtbot, window).status == 201
    outcome = send_and_wait(qtbot, window)  # the same URN again: taken
    assert outcome.status == 400
    errors = window.findChild(QLabel, "fieldErrors")
    assert errors.isVisible() and "urns" in errors.text()
    assert "fix the values marked" in window.response.meaning_label.text().lower()
    headers = window.response.headers
    names = [headers.topLevelItem(i).text(0).lower() for i in range(headers.topLevelItemCount())]
    assert "content-type" in names


def _refused_with_auto_retry(qtbot: Any, fresh_sandbox: Any, tmp_path: Path) -> MainWindow:
    """A window whose second flows GET got a 429, with auto-retry on: a retry is waiting."""
    fresh_sandbox.set_rate("1/second")
    http = make_http_client()
    win = MainWindow(
        catalog(), http, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(win)
    win.set_connection(Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, True))
    win.show()
    qtbot.waitExposed(win)
    choose(win, "flows", "GET")
    win.auto_retry.setChecked(True)
    assert send_and_wait(qtbot, win).status == 200
    with qtbot.waitSignal(win.outcome_shown, timeout=15000) as refused:
        win.send()  # the second request within the same second is over the limit
    assert refused.args[0].status == 429
    return win


def test_rate_limit_countdown_then_auto_retry(
    qtbot: Any, qloop: Any, fresh_sandbox: Any, tmp_path: Path
) -> None:
    win = _refused_with_auto_retry(qtbot, fresh_sandbox, tmp_path)
    banner = win.rate_limit_banner
    assert banner.isVisible() and "you can send again in 0:0" in banner.text()
    assert not win.send_button.isEnabled()
    assert "Send (" in win.send_button.text() and "will go again" in win.send_problem.text()
    choose(win, "contacts", "GET")  # the countdown belongs to the window, not the form
    win.request_tabs.setCurrentWidget(win.raw)
    assert banner.isVisible() and not win.send_button.isEnabled()
    # When the countdown ends the same request goes again, by itself, and gets through.
    with qtbot.waitSignal(win.outcome_shown, timeout=15000) as retried:
        pass
    assert retried.args[0].status == 200
    qtbot.waitUntil(win.send_button.isEnabled, timeout=5000)
    assert not banner.isVisible()


@pytest.mark.parametrize("how", ["button", "escape"])
def test_a_scheduled_retry_can_be_cancelled_during_its_countdown(
    qtbot: Any, qloop: Any, fresh_sandbox: Any, tmp_path: Path, how: str
) -> None:
    win = _refused_with_auto_retry(qtbot, fresh_sandbox, tmp_path)
    assert "will go again" in win.send_problem.text()
    assert win.cancel_button.isEnabled(), "the waiting retry can be cancelled"
    if how == "button":
        qtbot.mouseClick(win.cancel_button, Qt.MouseButton.LeftButton)
    else:
        win.activateWindow()
        qtbot.keyClick(win.send_button, Qt.Key.Key_Escape)
    assert "will go again" not in win.send_problem.text()
    assert not win.cancel_button.isEnabled()
    assert "Retry cancelled" in win.statusBar().currentMessage()
    with qtbot.waitSignal(win.rate_limit_banner.finished, timeout=5000):
        pass
    assert not win.session.busy, "nothing was sent again when the countdown ended"
    assert win.send_button.isEnabled() and win.response.status_label.text() != "Sending…"
    win.close()


def test_contacts_by_group_and_date_then_create_with_groups_and_fields(
    window: MainWindow, qtbot: Any
) -> None:
    choose(window, "groups", "GET")
    groups = send_and_wait(qtbot, window).results
    group = next(g for g in groups if g["count"] > 3 and not g.get("query"))  # a manual group
    choose(window, "contacts", "GET")
    window.form.set_values({"group": group["name"]}, {})
    members = send_and_wait(qtbot, window).results
    cut = sorted(c["modified_on"] for c in members)[len(members) // 2]
    window.form.set_values({"group": group["name"], "after": cut}, {})
    assert "after=" in window.preview.toPlainText()
    later = send_and_wait(qtbot, window).results
    assert later and len(later) < len(members)
    assert all(c["modified_on"] >= cut for c in later)
    assert all(group["uuid"] in [g["uuid"] for g in c["groups"]] for c in later)

    choose(window, "fields", "GET")
    key = next(f["key"] for f in send_and_wait(qtbot, window).results if f["type"] == "text")
    choose(window, "contacts", "POST")
    phone = f"tel:+25078{uuid.uuid4().int % 10**7:07d}"
    window.form.set_values(
        {},
        {
            "name": "Fields Test",
            "urns": [phone],
            "language": "kin",
            "groups": [group["name"]],
            "fields": {key: "hello"},
        },
    )
    created = send_and_wait(qtbot, window)
    assert created.status == 201, created.text
    assert created.json["language"] == "kin"
    assert [g["uuid"] for g in created.json["groups"]] == [group["uuid"]]
    assert created.json["fields"][key] == "hello"


def test_closing_with_unsaved_edits_asks_first(window: MainWindow, qtbot: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    choose(window, "groups", "POST")
    line(window, "field_name").setText("Not saved yet")
    assert window.windowTitle().startswith("• ")
    window.close()
    assert window.isVisible()  # not closed: a question is open instead
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "not saved" in boxes[0].text()
    with qtbot.waitSignal(window.closed, timeout=5000):
        boxes[0].button(QMessageBox.StandardButton.Discard).click()
    assert not window.isVisible()


def test_ctrl_s_saves_into_a_collection_and_history_records_sends(
    window: MainWindow, qtbot: Any
) -> None:
    choose(window, "flows", "GET")
    window.form.set_values({"archived": False}, {})
    assert send_and_wait(qtbot, window).status == 200
    first = window.panels.history.entries()[0]
    assert (first.endpoint, first.status) == ("flows", 200)
    window.file_actions.save_request()
    from explorer.ui.save_request_dialog import SaveRequestDialog

    qtbot.waitUntil(lambda: window.findChild(SaveRequestDialog) is not None, timeout=5000)
    dialog = window.findChild(SaveRequestDialog)
    dialog.name_edit.setText("Active flows")
    dialog.save()
    assert not window.windowTitle().startswith("• ")
    saved = [r.name for c in window.panels.collections.collections() for r in c.requests("")]
    assert "Active flows" in saved


def test_collection_variables_resolve_and_unresolved_ones_block_send(
    window: MainWindow, tmp_path: Path
) -> None:
    from explorer.core.request import Draft
    from explorer.store.collections import Collection, SavedRequest

    coll = Collection.create(tmp_path / "vars", "Vars")
    coll.set_variables({"who": "Reporters"})
    saved = coll.add(SavedRequest("By group", Draft("contacts", params={"group": "{{who}}"})))
    window.open_saved(saved, coll)
    assert "group=Reporters" in window.preview.toPlainText()
    assert window.send_button.isEnabled()
    window.form.set_values({"group": "{{nobody_set_this}}"}, {})
    assert not window.send_button.isEnabled()
    assert "nobody_set_this" in window.send_problem.text()


def test_a_curl_command_on_the_clipboard_becomes_the_request(
    window: MainWindow, qapp: Any, sandbox: Any
) -> None:
    qapp.clipboard().setText(
        f"curl '{sandbox.base_url}/api/v2/contacts.json?urn=tel%3A%2B250788123123' "
        "-H 'Authorization: Token pasted-secret-token'"
    )
    window.file_actions.paste_curl()
    assert window.form.endpoint is not None and window.form.endpoint.name == "contacts"
    assert "urn=tel%3A%2B250788123123" in window.preview.toPlainText()
    message = window.statusBar().currentMessage()
    assert "token was not kept" in message and "pasted-secret-token" not in message


def test_postman_export_then_import_through_the_window(window: MainWindow, tmp_path: Path) -> None:
    from explorer.core.catalog import HttpMethod
    from explorer.core.request import Draft
    from explorer.store.collections import Collection, SavedRequest

    coll = Collection.create(tmp_path / "team", "Team")
    coll.add(SavedRequest("New group", Draft("groups", HttpMethod.POST, body={"name": "X"})))
    out = tmp_path / "team.postman_collection.json"
    window.file_actions.export_postman_file(coll, str(out))
    exported = json.loads(out.read_text())
    assert exported["item"][0]["request"]["method"] == "POST"
    assert "{{base_url}}" in json.dumps(exported)
    window.file_actions.import_postman_file(str(out))
    names = [c.name for c in window.panels.collections.collections()]
    assert "Team" in names
    imported = next(c for c in window.panels.collections.collections() if c.root != coll.root)
    assert [r.name for r in imported.requests("")] == ["New group"]


def test_importing_the_same_postman_file_twice_gives_two_collections(
    window: MainWindow, tmp_path: Path
) -> None:
    from explorer.core.request import Draft
    from explorer.store.collections import Collection, SavedRequest

    coll = Collection.create(tmp_path / "field", "Field team")
    coll.add(SavedRequest("Groups", Draft("groups")))
    out = tmp_path / "field.postman_collection.json"
    window.file_actions.export_postman_file(coll, str(out))
    window.file_actions.import_postman_file(str(out))
    window.file_actions.import_postman_file(str(out))
    assert window.statusBar().currentMessage().startswith("Imported Field team (2)")
    imported = [
        c for c in window.panels.collections.collections() if c.name.startswith("Field team")
    ]
    assert sorted(c.name for c in imported) == ["Field team", "Field team (2)"]
    assert len({c.root for c in imported}) == 2


def test_variables_dialog_sets_collection_and_environment_values(
    window: MainWindow, tmp_path: Path
) -> None:
    from explorer.core.request import Draft
    from explorer.store.collections import Collection, SavedRequest
    from explorer.ui.variables_dialog import VariablesDialog

    coll = Collection.create(tmp_path / "env", "Env")
    saved = coll.add(SavedRequest("By group", Draft("contacts", params={"group": "{{who}}"})))
    window.open_saved(saved, coll)
    assert not window.send_button.isEnabled()  # {{who}} has no value yet
    window.file_actions.edit_variables()
    dialog = window.findChild(VariablesDialog)
    dialog._add_row(dialog.shared, "who", "Reporters")
    dialog._add_row(dialog.environment, "who", "Teachers")  # the workspace's value wins
    dialog._add_row(dialog.shared, "token", "secret-value")  # refused: tokens go to the keyring
    assert not dialog.save()
    assert dialog.problem.isVisible()
    dialog.shared.removeRow(dialog.shared.rowCount() - 1)
    assert dialog.save()
    assert "group=Teachers" in window.preview.toPlainText()
    reopened = Collection.open(tmp_path / "env")
    assert reopened.variables == {"who": "Reporters"}
    assert reopened.environments == {"Sandbox": {"who": "Teachers"}}
    assert "secret-value" not in (tmp_path / "env" / "collection.json").read_text()


def test_every_problem_counted_is_listed_beside_send(window: MainWindow) -> None:
    # A broadcast with nobody to send to: the missing recipient sits in no field the user
    # has typed in, so the line beside Send is the only place that can say so.
    choose(window, "broadcasts", "POST")
    shown = window.send_problem.text()
    count = int(shown.split()[1])
    assert count >= 2 and shown.startswith(f"Fix {count} problems")
    assert len([ln for ln in shown.splitlines() if ln.startswith("• ")]) == count
    assert "urns, contacts or groups" in shown
    assert not window.send_button.isEnabled()


def test_escaped_text_is_never_shown_as_an_entity(window: MainWindow) -> None:
    window.response.show_problem("The workspace doesn't answer <yet>.")
    label = window.response.meaning_label
    window.response.grab()  # laid out and rendered as the user sees it
    assert label.textFormat() == Qt.TextFormat.RichText
    doc = QTextDocument()
    doc.setHtml(label.text())
    assert doc.toPlainText() == "The workspace doesn't answer <yet>."


def test_unreadable_raw_json_keeps_send_disabled_and_the_form_says_so(
    window: MainWindow,
) -> None:
    choose(window, "contacts", "POST")
    line(window, "field_name").setText("Older")
    assert window.send_button.isEnabled(), window.send_problem.text()
    window.request_tabs.setCurrentWidget(window.raw)
    window.raw_body.setPlainText('{\n  "name": "Newer"\n  "language": "eng"\n}')
    window.send()  # straight away, before the pause after typing is over
    assert not window.session.busy  # nothing went out with the form's older values
    assert not window.send_button.isEnabled()
    assert "Raw tab" in window.send_problem.text() and "Line 3" in window.send_problem.text()
    general = [w for w in window.form.findChildren(QLabel) if "Raw tab" in w.text()]
    assert general and not general[0].isHidden()
    assert "Newer" in window.raw_body.toPlainText()  # what was typed stays to be fixed
    window.raw_body.setPlainText('{\n  "name": "Newer", "language": "eng"\n}')
    assert window.raw.read()
    assert window.send_button.isEnabled(), window.send_problem.text()
    assert line(window, "field_name").text() == "Newer"
    assert not [w for w in window.form.findChildren(QLabel) if "Raw tab" in w.text()]


def test_a_request_from_the_endpoints_tree_never_overwrites_the_saved_one(
    window: MainWindow, qtbot: Any
) -> None:
    from explorer.ui.save_request_dialog import SaveRequestDialog

    choose(window, "flows", "GET")
    window.form.set_values({"archived": False}, {})
    window.file_actions.save_request()
    qtbot.waitUntil(lambda: window.findChild(SaveRequestDialog) is not None, timeout=5000)
    first = window.findChild(SaveRequestDialog)
    first.name_edit.setText("Active flows")
    first.save()
    coll = window.tracker.collection
    assert coll is not None and window.tracker.saved is not None
    kept = (coll.root / window.tracker.saved.path).read_text("utf-8")

    choose(window, "contacts", "GET")  # from the Endpoints tree: a new request
    window.file_actions.save_request()
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in window.findChildren(SaveRequestDialog)), timeout=5000
    )
    assert (coll.root / "active-flows.json").read_text("utf-8") == kept


def test_saving_in_place_shows_in_the_collections_tree_at_once(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    from explorer.core.request import Draft
    from explorer.store.collections import Collection, SavedRequest

    coll = Collection.create(tmp_path / "c", "Mine")
    saved = coll.add(SavedRequest("Flows", Draft("flows", params={"archived": False})))
    window.panels.collections.show_saved(saved, coll)
    window.open_saved(saved, coll)
    window.form.set_values({"archived": True}, {})
    shown: list[bool] = []
    window.panels.collections.collections_changed.connect(lambda: shown.append(True))
    window.file_actions.save_request()
    assert shown  # the tree was told straight away, not on the next restart
    assert not window.windowTitle().startswith("• ")


def test_a_curl_command_for_another_host_says_it_now_points_at_the_workspace(
    window: MainWindow, qapp: Any, sandbox: Any
) -> None:
    # Another loopback port stands for another server: nothing is sent to it.
    qapp.clipboard().setText("curl 'http://127.0.0.1:9/api/v2/flows.json'")
    window.file_actions.paste_curl()
    message = window.statusBar().currentMessage()
    assert "aimed at http://127.0.0.1:9" in message
    assert f"now points at Sandbox ({sandbox.base_url})" in message
    assert window.form.endpoint is not None and window.form.endpoint.name == "flows"
    qapp.clipboard().setText(f"curl '{sandbox.base_url}/api/v2/flows.json'")
    window.file_actions.paste_curl()
    assert "aimed at" not in window.statusBar().currentMessage()


def test_pasting_a_curl_command_over_unsaved_edits_asks_first(
    window: MainWindow, qapp: Any, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QMessageBox

    choose(window, "groups", "POST")
    line(window, "field_name").setText("Not saved yet")
    qapp.clipboard().setText("curl 'https://app.rapidpro.io/api/v2/flows.json'")
    window.file_actions.paste_curl()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "not saved" in boxes[0].text()
    assert window.form.endpoint is not None and window.form.endpoint.name == "groups"
    boxes[0].button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(
        lambda: window.form.endpoint is not None and window.form.endpoint.name == "flows"
    )


def test_switching_endpoints_and_methods_keeps_what_was_typed_on_each(
    window: MainWindow,
) -> None:
    choose(window, "groups", "POST")
    line(window, "field_name").setText("Farmers")
    choose(window, "groups", "GET")
    choose(window, "contacts", "POST")
    line(window, "field_name").setText("Ben")
    choose(window, "groups", "POST")
    assert line(window, "field_name").text() == "Farmers"
    assert '"name": "Farmers"' in window.preview.toPlainText()
    choose(window, "contacts", "POST")
    assert line(window, "field_name").text() == "Ben"


# --- keys and focus ------------------------------------------------------------------------------


def menu_keys(window: MainWindow) -> dict[str, str]:
    """Each menu entry's text (without mnemonics) and the key it shows."""
    keys = {}
    for top in window.menuBar().actions():
        for action in top.menu().actions():
            if not action.isSeparator():
                keys[action.text().replace("&", "")] = action.shortcut().toString()
    return keys


def test_menus_show_every_key_and_no_key_hides_outside_them(window: MainWindow) -> None:
    from PySide6.QtGui import QShortcut

    keys = menu_keys(window)
    assert keys["Send"] == "Ctrl+Return"
    assert keys["Cancel"] == "Esc"
    assert keys["Save request"] == "Ctrl+S"
    assert keys["Quit"] == "Ctrl+Q"
    assert keys["Find in response…"] == "Ctrl+F"
    assert keys["Find next"] == "F3" and keys["Find previous"] == "Shift+F3"
    assert keys["Find an endpoint"] == "Ctrl+L"
    # A window-wide key that no menu names is one a new user never learns.
    hidden = [s.key().toString() for s in window.findChildren(QShortcut) if s.parent() is window]
    assert hidden == []


def press(window: MainWindow, qtbot: Any, key: Qt.Key, modifiers: Any = None) -> None:
    from PySide6.QtTest import QTest

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    target = window.focusWidget() or window
    QTest.keyClick(target, key, modifiers or Qt.KeyboardModifier.NoModifier)


def test_ctrl_enter_sends_and_ctrl_f_finds_in_the_response_from_anywhere(
    window: MainWindow, qtbot: Any
) -> None:
    choose(window, "contacts", "GET")
    line(window, "param_group").setFocus()
    with qtbot.waitSignal(window.outcome_shown, timeout=15000) as blocker:
        press(window, qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    contacts = blocker.args[0].results
    assert contacts
    window.response.tabs.setCurrentIndex(1)  # the Table, not the body
    window.endpoints.filter.setFocus()
    press(window, qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    body = window.response.body
    assert body.find_edit.hasFocus() and body.isVisible()
    from PySide6.QtTest import QTest

    QTest.keyClicks(body.find_edit, '"uuid"')
    qtbot.waitUntil(lambda: body.match_count() >= len(contacts), timeout=5000)
    first = body.current_match()
    window.endpoints.tree.setFocus()  # F3 from anywhere goes on to the next match
    press(window, qtbot, Qt.Key.Key_F3)
    assert body.current_match() == first + 1


def focus_stops(window: MainWindow) -> list[QWidget]:
    """Every control of the screen as shown that the keyboard should be able to reach."""
    from PySide6.QtWidgets import QMenuBar

    return [
        w
        for w in window.findChildren(QWidget)
        if w.isVisible()
        and w.isEnabled()
        and w.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None
        and w.window() is window
        and not isinstance(w, QMenuBar)
    ]


@pytest.mark.parametrize(
    ("endpoint", "method"), [("contacts", "GET"), ("contacts", "POST"), ("broadcasts", "POST")]
)
def test_tab_walks_every_control_in_reading_order(
    window: MainWindow, qtbot: Any, endpoint: str, method: str
) -> None:
    choose(window, endpoint, method)
    qtbot.wait(10)  # the previous form's page goes on this turn
    wanted = focus_stops(window)
    start = window.workspace_selector
    start.setFocus()
    reached: list[QWidget] = []
    for _ in range(len(wanted) + 5):
        reached.append(window.focusWidget())
        press(window, qtbot, Qt.Key.Key_Tab)
        if window.focusWidget() is start:
            break
    assert window.focusWidget() is start, "Tab went round without coming back: a trap"
    missed = [f"{type(w).__name__} {w.objectName() or w.accessibleName()}" for w in wanted]
    missed = [m for m, w in zip(missed, wanted, strict=True) if w not in reached]
    assert missed == []
    # The form's fields come between the method and the docs, not after the response.
    fields = [w for w in reached if window.form.isAncestorOf(w)]
    assert fields
    assert reached.index(window.method_selector) < reached.index(fields[0])
    assert reached.index(fields[-1]) < reached.index(window.docs)
    assert reached.index(window.preview) < reached.index(window.response.tabs.tabBar())


def test_fetch_all_is_offered_only_for_get_listings(window: MainWindow) -> None:
    tabs = window.request_tabs

    def offered() -> bool:
        return tabs.isTabVisible(tabs.indexOf(window.request_panel._fetch_all))

    choose(window, "contacts", "GET")
    assert offered()
    tabs.setCurrentWidget(window.request_panel._fetch_all)
    choose(window, "contacts", "POST")
    assert not offered() and tabs.currentWidget() is not window.request_panel._fetch_all
    choose(window, "workspace", "GET")  # one object, not a list in pages
    assert not offered()
    choose(window, "messages", "GET")
    assert offered()


def test_raw_send_as_written_makes_a_wrong_request_on_purpose(
    window: MainWindow, qtbot: Any, qapp: Any
) -> None:
    choose(window, "groups", "POST")
    window.request_tabs.setCurrentWidget(window.raw)
    button = window.request_panel.send_as_written
    assert button.isVisible() and button.isEnabled()
    window.raw_body.setPlainText(json.dumps({"name": "", "colour": "red"}))
    window.raw.read()
    assert not window.send_button.isEnabled()  # normal Send still refuses it
    window.copy_curl.trigger()  # what is typed can still be copied, marked as such
    copied = qapp.clipboard().text()
    assert copied.startswith("# Does not pass RapidPro Explorer's checks:")
    assert '"colour": "red"' in copied
    window.raw_body.setFocus()
    said: list[str] = []
    window.session.send_started.connect(said.append)
    with qtbot.waitSignal(window.outcome_shown, timeout=15000) as blocker:
        qtbot.keyClick(
            window.raw_body,
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert blocker.args[0].status == 400  # the server's own answer to it
    assert "as written, though it fails the app's checks:" in said[0]
    assert "no field called 'colour'" in said[0] and "name: is required" in said[0]
    window.request_tabs.setCurrentWidget(window.form)
    assert not button.isVisible()  # only Raw sends as written


def refused_broadcast(window: MainWindow, qtbot: Any, body: dict[str, Any]) -> str:
    """Send ``body`` as written to broadcasts; the text of the panel naming what was refused."""
    choose(window, "broadcasts", "POST")
    window.request_tabs.setCurrentWidget(window.raw)
    window.raw_body.setPlainText(json.dumps(body))
    window.raw.read()
    with qtbot.waitSignal(window.outcome_shown, timeout=15000) as blocker:
        window.request_panel.send_written()
    assert blocker.args[0].status == 400
    shown = QTextDocument()
    shown.setHtml(window.response.errors_label.text())
    return shown.toPlainText()


def test_a_400_with_rapidpros_nested_keys_reads_as_one_line_per_value(
    window: MainWindow, qtbot: Any
) -> None:
    body = {
        "urns": ["tel:+250788123123"],
        "text": {"eng": "Hi"},
        "quick_replies": {"eng": [{"type": "form"}]},
    }
    text = refused_broadcast(window, qtbot, body)
    # Where RapidPro put the error (language, then the reply's place), then its words.
    assert "quick_replies.eng[0]: Quick replies of type 'form' require 'text' and 'extra'" in text
    assert "{" not in text  # no raw JSON of the nesting


def test_a_400_naming_a_language_and_two_reasons_reads_plainly(
    window: MainWindow, qtbot: Any
) -> None:
    """RapidPro keys a bad translation by the language it does not know, and gives a field
    every reason at once: each reads as where, then what."""
    body = {"urns": ["tel:+250788123123"], "text": {"english": "Hi"}, "base_language": "english"}
    text = refused_broadcast(window, qtbot, body)
    assert "text.english: Not an allowed ISO 639-3 language code." in text
    assert "base_language: Ensure this field has no more than 3 characters." in text
    assert "base_language: Not an allowed ISO 639-3 language code." in text
    if SHOTS:  # a folder to look at the panel in, at the sizes the app is checked at
        for size in ((1280, 800), (1024, 640)):
            window.resize(*size)
            qtbot.wait(50)
            window.grab().save(str(Path(SHOTS) / f"language-400-{size[0]}.png"))
