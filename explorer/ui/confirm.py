"""A Yes/Cancel question before a request or change that cannot be undone, and the
confirmation of a request on a real workspace (:func:`confirm_request`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.core.reach import Reach
    from explorer.core.request import Prepared


def warning_box(
    parent: QWidget, title: str, text: str, *, details: str = "", yes: str = ""
) -> QMessageBox:
    """A warning with Yes (labelled ``yes`` when given) and Cancel, Cancel the default.

    The caller connects ``finished`` and calls ``open()``: never ``exec()``, whose nested
    event loop would stall the tasks on the app's qasync loop.
    """
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    if details:
        box.setInformativeText(details)
    if yes:
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def said_yes(box: QMessageBox) -> bool:
    """Whether the box was closed with its Yes button (not Cancel, Esc or the title bar)."""
    clicked = box.clickedButton()
    return clicked is not None and box.standardButton(clicked) == QMessageBox.StandardButton.Yes


LARGE_REACH = 1000
"""Above this many contacts, the workspace's name must be typed to go ahead."""

COUNT_WAIT_SECONDS = 10.0
"""How long to wait for the group sizes; past it they count as unknown (and ask for the name)."""


async def confirm_request(
    parent: QWidget,
    http: httpx.AsyncClient | None,
    prepared: Prepared,
    connection: Connection,
    *,
    answered: Callable[[Outcome], object] | None = None,
    counting: Callable[[str], object] | None = None,
) -> bool:
    """Ask before a request on a real workspace that deletes, acts in bulk or reaches
    contacts; True to go ahead (at once for anything else).

    Broadcasts, flow starts and contact actions say how many contacts they reach, counted
    from the workspace; above :data:`LARGE_REACH` (or when a group's size is unknown) the
    workspace's name must be typed. ``answered`` sees the counting requests' responses and
    ``counting`` is told while they run.
    """
    from explorer.core.catalog import HttpMethod
    from explorer.core.reach import Reach, count_reach, reaches_contacts

    spec = prepared.endpoint.method(prepared.method)
    if reaches_contacts(prepared) and http is not None:
        if counting is not None:
            counting("Counting the contacts this reaches…")
        try:
            reach = await asyncio.wait_for(
                count_reach(http, connection, prepared, answered=answered),
                COUNT_WAIT_SECONDS,
            )
        except TimeoutError:
            from explorer.core.reach import GroupSize, listed

            groups, individuals = listed(prepared)
            reach = Reach(tuple(GroupSize(g, None) for g in groups), individuals)
        return await _ask_reach(parent, prepared, connection, reach)
    if prepared.method is HttpMethod.DELETE:
        what = ", ".join(f"{k}={v}" for k, v in prepared.query)
        text = f"Delete the {prepared.endpoint.name.rstrip('s')} {what} in {connection.name}?"
    elif spec.is_bulk_action:
        body = prepared.json_body or {}
        items = next((v for v in body.values() if isinstance(v, list)), [])
        text = f"Apply '{body.get('action')}' to {len(items)} item(s) in {connection.name}?"
    else:
        return True
    return await _answer(warning_box(parent, "Confirm", text))


async def _ask_reach(
    parent: QWidget, prepared: Prepared, connection: Connection, reach: Reach
) -> bool:
    """The question for a request that reaches ``reach``: Yes/Cancel, or the typed name."""
    name = prepared.endpoint.name
    if name == "broadcasts":
        go, question = "Send", f"Send to {reach.text()} in {connection.name}?"
    elif name == "flow_starts":
        go, question = "Start", f"Start the flow for {reach.text()} in {connection.name}?"
    else:
        action = (prepared.json_body or {}).get("action")
        go, question = "Apply", f"Apply '{action}' to {reach.text()} in {connection.name}?"
    notes = []
    if reach.overlaps:
        notes.append(
            "A contact in more than one of these is counted once for each here; the "
            "workspace reaches them once, so fewer may be reached."
        )
    if not reach.known:
        notes.append("The size of a group could not be read from the workspace.")
    details = " ".join(notes)
    if reach.known and reach.total <= LARGE_REACH:
        return await _answer(warning_box(parent, "Confirm", question, details=details, yes=go))
    from explorer.ui.typed_name_dialog import TypedNameDialog

    dialog = TypedNameDialog(question, connection.name, go=go, details=details, parent=parent)
    return await _answer(dialog)


async def _answer(dialog: QDialog) -> bool:
    """Open ``dialog`` without a nested event loop and wait for the person's answer."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda code: done.done() or done.set_result(code))
    dialog.open()
    try:
        code = await done
    finally:
        dialog.close()
        dialog.deleteLater()
    if isinstance(dialog, QMessageBox):
        return said_yes(dialog)
    return code == QDialog.DialogCode.Accepted
