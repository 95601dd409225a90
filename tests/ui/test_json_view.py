"""The response body viewer, as a user sees it: colours, pretty and raw, find, copy, save."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from explorer.core import json_text
from explorer.ui.json_view import JsonView

COMPACT = rb'{"a":[1,2,{"b":"x\"y"}]}'


def contacts(count: int) -> bytes:
    """A compact contacts page, as RapidPro sends it."""
    return json.dumps(
        {
            "next": None,
            "results": [
                {
                    "uuid": f"{i:032x}",
                    "name": f"Ana {i} 😀",
                    "groups": [{"name": "Customers"}],
                    "fields": {"age": i % 90},
                    "blocked": i % 2 == 0,
                    "flow": None,
                }
                for i in range(count)
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


@pytest.fixture
def view(qtbot: Any, qloop: Any) -> JsonView:
    widget = JsonView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def load(qtbot: Any, view: JsonView, data: bytes, **kwargs: Any) -> None:
    with qtbot.waitSignal(view.finished, timeout=20_000):
        view.load(data, **kwargs)
    qtbot.wait(20)  # let the last screen paint


def lines(view: JsonView) -> list[str]:
    return [view.row_text(i) for i in range(view.row_count())]


def test_pretty_reindents_compact_json_and_raw_shows_the_bytes(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, COMPACT)
    assert view.is_pretty()
    assert lines(view) == [
        "{",
        '  "a": [',
        "    1,",
        "    2,",
        "    {",
        '      "b": "x\\"y"',
        "    }",
        "  ]",
        "}",
    ]
    qtbot.mouseClick(view.raw_button, Qt.MouseButton.LeftButton)
    assert not view.is_pretty()
    assert lines(view) == [COMPACT.decode()]
    view.set_pretty(True)
    assert view.pretty_button.isChecked() and view.row_count() == 9


def test_keys_strings_numbers_and_literals_get_their_own_colours(
    qtbot: Any, view: JsonView
) -> None:
    load(qtbot, view, b'{"key":"text","n":12.5,"ok":true}')
    spans = dict(view.row_spans(1) + view.row_spans(2) + view.row_spans(3))
    kinds = [spans['"key"'], spans['"text"'], spans["12.5"], spans["true"]]
    assert kinds == [json_text.KEY, json_text.STRING, json_text.NUMBER, json_text.LITERAL]
    colours = {view.token_colour(kind).name() for kind in kinds}
    assert len(colours) == 4
    # And they are really painted: each colour shows up on screen, near where its token is.
    image = view.area.viewport().grab().toImage()
    for kind in kinds:
        assert _has_colour(image, view.token_colour(kind)), kind


def _has_colour(image: QImage, colour: QColor, tolerance: int = 40) -> bool:
    for y in range(0, min(image.height(), 120)):
        for x in range(0, min(image.width(), 400)):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - colour.red())
                + abs(pixel.green() - colour.green())
                + abs(pixel.blue() - colour.blue())
            ) < tolerance:
                return True
    return False


def test_dark_palette_gets_dark_colours(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, b'{"key":"text"}')
    light_key = view.token_colour(json_text.KEY).name()
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#1a1a1a"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    view.area.setPalette(palette)
    assert view.area.theme.dark
    assert view.token_colour(json_text.KEY).name() != light_key
    pixel = view.area.viewport().grab().toImage().pixelColor(600, 300)
    assert pixel.lightness() < 80  # the background follows the palette


def test_emoji_and_escaped_quotes_survive(qtbot: Any, view: JsonView) -> None:
    body = '{"name":"Fatima 🌍 \\"Ami\\" Софья"}'.encode()
    load(qtbot, view, body)
    assert view.row_text(1) == '  "name": "Fatima 🌍 \\"Ami\\" Софья"'
    view.area.setFocus()
    view.area.select_all()
    assert json.loads(view.text_for_copy()) == json.loads(body)
    view.set_pretty(False)
    view.area.select_all()
    assert view.text_for_copy() == body.decode()


def test_find_counts_matches_in_the_whole_body_and_moves_the_view(
    qtbot: Any, view: JsonView
) -> None:
    body = contacts(3000)
    load(qtbot, view, body)
    assert view.find("customers") == body.count(b"Customers") == 3000
    assert view.find_count.text() == "1 of 3,000"
    view.find_previous()  # wraps to the last match, at the far end of the body
    assert view.find_count.text() == "3,000 of 3,000"
    assert view.top_row() > view.row_count() - 100
    assert view.text_for_copy() == "Customers"  # the match is selected
    view.find_next()
    assert view.current_match() == 1 and view.top_row() < 100


def test_find_box_keys(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, contacts(50))
    view.area.setFocus()
    QTest.keyClick(view.area, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_edit.hasFocus()
    QTest.keyClicks(view.find_edit, "ana 4")
    qtbot.waitUntil(lambda: view.find_count.text() == "1 of 11", timeout=3000)  # 4, 40–49
    QTest.keyClick(view.find_edit, Qt.Key.Key_Return)
    assert view.find_count.text() == "2 of 11"
    QTest.keyClick(view.find_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(view.find_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.find_count.text() == "11 of 11"
    QTest.keyClick(view.find_edit, Qt.Key.Key_Escape)  # back to the text, where it was
    assert view.area.hasFocus() and view.find_count.text() == "11 of 11"


def test_copy_gives_the_selected_text(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, b'{"name":"Ana","age":41}')
    area = view.area
    area.setFocus()
    # Drag over the second row from its first character to its end.
    y = int(area.line_h * 1.5)
    start = QPoint(int(area._gutter_width() + 7), y)
    QTest.mousePress(area.viewport(), Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(area.viewport(), QPoint(800, y))
    QTest.mouseRelease(area.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(800, y))
    assert view.text_for_copy() == '  "name": "Ana",'
    # Shift+Down takes the next line too; Ctrl+C puts it on the clipboard.
    QTest.keyClick(area, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(area, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().startswith('  "name": "Ana",\n  "age": 4')
    QTest.keyClick(area, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(area, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert json.loads(QGuiApplication.clipboard().text()) == {"name": "Ana", "age": 41}


def test_save_writes_the_exact_bytes(qtbot: Any, view: JsonView, tmp_path: Path) -> None:
    body = b'{"a":1,\r\n "emoji":"\xf0\x9f\x98\x80"}\n'
    load(qtbot, view, body)
    view.set_pretty(True)
    view.save_to(tmp_path / "sync.json")
    assert (tmp_path / "sync.json").read_bytes() == body
    with qtbot.waitSignal(view.saved, timeout=5000) as saved:
        view.save_in_background(str(tmp_path / "bg.json"))
    assert saved.args == [str(tmp_path / "bg.json")]
    assert (tmp_path / "bg.json").read_bytes() == body
    assert "Saved to" in view.note()


def test_save_dialog_is_not_modal(qtbot: Any, view: JsonView) -> None:
    from PySide6.QtWidgets import QFileDialog

    load(qtbot, view, b"{}")
    view.open_save_dialog()
    dialog = view.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
    dialog.reject()


def test_other_content_is_shown_as_text(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, b"<html>\n<b>Bad gateway</b>\n</html>\n", content_type="text/html")
    assert lines(view) == ["<html>", "<b>Bad gateway</b>", "</html>"]
    assert not view.pretty_button.isEnabled() and not view.is_pretty()
    assert {kind for _text, kind in view.row_spans(1)} == {json_text.TEXT}
    assert view.note() == ""


def test_invalid_json_falls_back_to_raw_with_a_note(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, b'{"results":[{"name":"Ana"},', content_type="application/json")
    assert lines(view) == ['{"results":[{"name":"Ana"},']
    assert not view.is_pretty()
    assert view.note().startswith("Not valid JSON:")
    assert view.note_label.isVisible()


def test_empty_body(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, b"")
    assert view.row_count() == 0 and not view.copy_button.isEnabled()
    view.clear()
    assert view.row_count() == 0 and view.body() == b""


def test_a_second_load_during_a_big_first_one_wins(qtbot: Any, view: JsonView) -> None:
    big = contacts(40_000)  # several MB: still indexing when the second body comes
    view.load(big)
    assert not view.is_finished()
    small = b'{"second":true}'
    with qtbot.waitSignal(view.finished, timeout=10_000):
        view.load(small)
    qtbot.wait(200)  # any leftover work of the first body would show up now
    assert lines(view) == ["{", '  "second": true', "}"]
    assert view.body() == small


def test_loading_five_megabytes_keeps_the_loop_responsive(qtbot: Any, view: JsonView) -> None:
    body = contacts(50_000)
    assert len(body) > 5_000_000
    ticks: list[float] = []
    beat = QTimer()
    beat.setInterval(10)
    beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    beat.start()
    qtbot.wait(50)
    start = time.perf_counter()
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.load(body)
    first_screen = time.perf_counter() - start
    qtbot.waitSignal(view.finished, timeout=60_000).wait()
    view.find("customers")
    qtbot.waitUntil(lambda: view.find_count.text() == "1 of 50,000", timeout=60_000)
    QTest.keyClick(view.area, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(30)
    end = time.perf_counter()
    beat.stop()
    times = [start] + [t for t in ticks if t >= start] + [end]
    worst = max(b - a for a, b in itertools.pairwise(times))
    # A sanity bound only (other jobs share this machine); the benchmark has the figures.
    assert worst < 0.2, f"the loop stalled for {worst * 1000:.0f} ms"
    assert first_screen < 1.0
    assert view.top_row() > view.row_count() - 100


def test_keyboard_scrolling(qtbot: Any, view: JsonView) -> None:
    load(qtbot, view, contacts(500))
    area = view.area
    area.setFocus()
    QTest.keyClick(area, Qt.Key.Key_PageDown)
    assert view.top_row() == area.page_rows()
    QTest.keyClick(area, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert view.top_row() + area.page_rows() >= view.row_count()
    QTest.keyClick(area, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert view.top_row() == 0
    QApplication.processEvents()


class _PaintBug(Exception):
    """A failure of its own kind, so it is told even if another test told one before."""


def test_a_failure_while_painting_is_told_and_the_view_goes_on(
    qtbot: Any, view: JsonView, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    load(qtbot, view, contacts(5))

    def broken(row: int) -> Any:
        raise _PaintBug("row missing")

    with monkeypatch.context() as patch:
        patch.setattr(view.area, "row", broken)
        view.area.viewport().repaint()  # with no guard this is a crash on PySide6 6.11
    assert "painting the response body failed" in caplog.text
    view.area.viewport().repaint()
    assert lines(view)[1] == '  "next": null,'  # painted again once the cause is gone


def test_a_body_too_big_for_links_says_so_and_links_nothing(
    qtbot: Any, view: JsonView, monkeypatch: Any
) -> None:
    from explorer.ui import json_view

    page = json.dumps(
        {"results": [{"uuid": "5f0c6a3e-8d1b-4e4f-9a2c-7b3d1e6f4a90", "name": "Ben"}] * 50}
    ).encode()
    load(qtbot, view, page, endpoint="contacts")
    assert view.links() is not None and view.links().links  # a page like any other: links
    assert view.note_label.text() == ""
    monkeypatch.setattr(json_view, "LINK_LIMIT", len(page) - 1)  # as if it were huge
    load(qtbot, view, page, endpoint="contacts")
    assert view.links() is not None and view.links().links == []
    assert "not links in a body this big" in view.note_label.text()
