"""``rapidpro-explorer --self-test``: proves an installed or frozen app works, end to end.

Opens the real main window (offscreen unless a platform is set) on a sandbox of its own in
memory, opens every endpoint's form (so every editor module loads), sends a GET of contacts
and a POST that creates a group through the window's own Send button, waits for each
response to be shown and checks it. An error raised anywhere in between, even inside a Qt
slot, fails it. Nothing of the user's is touched: settings, data and cache go to a
temporary folder, and no keyring is asked.

:func:`run` returns ``(exit status, one line)``; the CLI prints the line (stdout when it
passed, stderr when not). A watchdog ends the process if the whole run outlasts its
timeout even with the event loop stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

DEFAULT_TIMEOUT = 60.0
_ENV_DIRS = {
    "RAPIDPRO_EXPLORER_CONFIG_DIR": "config",
    "RAPIDPRO_EXPLORER_DATA_DIR": "data",
    "RAPIDPRO_EXPLORER_CACHE_DIR": "cache",
}


class SelfTestFailed(Exception):
    """A check failed; the message is the one line the user sees."""


def run(timeout: float = DEFAULT_TIMEOUT) -> tuple[int, str]:
    """Run the self-test; ``(0, summary)`` when it passed, ``(1, reason)`` otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    watchdog = _Watchdog(timeout + 15)
    started = time.perf_counter()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="rapidpro-explorer-self-test-") as root,
            _private_dirs(root),
        ):
            summary = _run_app(timeout)
    except SelfTestFailed as exc:
        return 1, _one_line(f"self-test failed: {exc}")
    except Exception as exc:  # anything unexpected is still one line, not a traceback
        return 1, _one_line(f"self-test failed: {type(exc).__name__}: {exc}")
    finally:
        watchdog.cancel()
    return 0, f"self-test passed in {time.perf_counter() - started:.1f} s: {summary}"


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextlib.contextmanager
def _private_dirs(root: str) -> Iterator[None]:
    """Point the app's folders at ``root`` for the run, and restore them afterwards."""
    saved = {name: os.environ.get(name) for name in _ENV_DIRS}
    os.environ.update({name: os.path.join(root, sub) for name, sub in _ENV_DIRS.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Watchdog:
    """Ends the process with a reason if the test hangs where asyncio cannot time it out
    (a blocked event loop, a stuck thread)."""

    def __init__(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire, args=(seconds,))
        self._timer.daemon = True
        self._timer.start()

    @staticmethod
    def _fire(seconds: float) -> None:
        sys.stderr.write(f"self-test failed: no result after {seconds:.0f} s (hung)\n")
        sys.stderr.flush()
        os._exit(1)

    def cancel(self) -> None:
        self._timer.cancel()


def _run_app(timeout: float) -> str:
    import qasync

    from explorer.ui.app import make_application

    make_application()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_amain(timeout))


async def _amain(timeout: float) -> str:
    from PySide6.QtCore import QSettings

    from explorer.core.catalog import catalog
    from explorer.core.client import make_http_client
    from explorer.store.paths import config_dir
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import WorkspaceStore
    from explorer.ui.app import cancel_other_tasks, wire_workspaces
    from explorer.ui.connector import Connector
    from explorer.ui.main_window import MainWindow

    _check_icon()
    settings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(catalog(), None, settings)
    window.remember = False
    window.set_connection(None)
    window.show()
    vault = TokenVault()
    connector = Connector(WorkspaceStore(vault=vault), vault, _start_sandbox)
    step = _Step()
    try:
        async with make_http_client() as http:
            window.http = http
            wire_workspaces(window, connector, http)
            try:
                return await asyncio.wait_for(_exercise(window, connector, step), timeout)
            except TimeoutError:
                raise SelfTestFailed(f"timed out after {timeout:.0f} s {step.doing}") from None
    finally:
        step.escapes.close()
        window.close()
        await cancel_other_tasks()
        await connector.close()
        window.deleteLater()


class _Escapes:
    """Errors that never reach the test's own code: raised in a Qt slot (Qt prints them
    through ``sys.excepthook``) or in a task nobody awaits (the loop's exception handler).
    The first one fails the test at once."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.failed: asyncio.Future[str] = self.loop.create_future()
        self._previous_hook = sys.excepthook
        self._previous_handler = self.loop.get_exception_handler()
        sys.excepthook = self._hook
        self.loop.set_exception_handler(self._handler)

    def _record(self, text: str) -> None:
        if not self.failed.done():
            self.failed.set_result(text)

    def _hook(self, kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        self._record(f"{kind.__name__}: {exc}")
        self._previous_hook(kind, exc, tb)

    def _handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        self._record(f"{type(exc).__name__}: {exc}" if exc else str(context.get("message")))
        loop.default_exception_handler(context)

    def check(self, doing: str) -> None:
        if self.failed.done():
            raise SelfTestFailed(f"an error escaped while {doing}: {self.failed.result()}")

    def close(self) -> None:
        sys.excepthook = self._previous_hook
        self.loop.set_exception_handler(self._previous_handler)


class _Step:
    """What the test is doing (for a time-out's message), and the errors it has seen."""

    def __init__(self) -> None:
        self.doing = "starting the sandbox"
        self.escapes = _Escapes()


async def _exercise(window: Any, connector: Any, step: _Step) -> str:
    connection = await connector.use(None, remember=False)
    if connection is None:
        raise SelfTestFailed(connector.failure_without_window() or "the sandbox did not start")
    if window.connection is None or not window.connection.is_sandbox:
        raise SelfTestFailed("the window did not connect to the sandbox")

    step.doing = "opening every endpoint's form"
    forms = await _open_every_form(window)
    step.escapes.check(step.doing)

    step.doing = "waiting for GET contacts"
    contacts = await _send(window, "contacts", "GET", {}, {}, step=step)
    if contacts.status != 200:
        raise SelfTestFailed(f"GET contacts answered {contacts.status} {contacts.reason}")
    results = (contacts.json or {}).get("results") if isinstance(contacts.json, dict) else None
    if not results:
        raise SelfTestFailed("GET contacts returned no contacts")
    await _check_shown(window, "200", f'"{results[0]["uuid"]}"')

    name = f"Self-test {uuid.uuid4().hex[:8]}"
    step.doing = "waiting for POST groups"
    group = await _send(window, "groups", "POST", {}, {"name": name}, step=step)
    if group.status != 201:
        raise SelfTestFailed(f"POST groups answered {group.status} {group.reason}: {group.text}")
    if not isinstance(group.json, dict) or group.json.get("name") != name:
        raise SelfTestFailed(f"POST groups did not return the group {name!r}")
    await _check_shown(window, "201", name)
    step.doing = "checking the rows of an XLSX file for a bulk run"
    bulk = await _bulk_dry_run(window, step)

    step.doing = "pulling a dataset with one archive"
    pulled = await _pull_one_archive(window, connection)
    step.escapes.check(step.doing)
    return (
        f"{forms} forms opened, GET contacts 200 ({len(results)} shown), "
        f"POST groups 201 ({name!r}), bulk dry run of an XLSX ({bulk}), {pulled} "
        f"against the sandbox at {connection.base_url}"
    )


async def _bulk_dry_run(window: Any, step: _Step, wait: float = 20.0) -> str:
    """"Send for each row of a file…" on contacts POST with a small XLSX: the spreadsheet
    reader loads (a frozen build that missed it fails here), every row is checked and the
    first request is shown. Nothing is sent."""
    from openpyxl import Workbook

    from explorer.store.paths import data_dir

    path = data_dir() / "self-test people.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("People")
    for row in (["Name", "URNs", "Language"], ["Ada", "tel:+250788123001", "eng"],
                ["Bo", "tel:+250788123002", "fra"], ["Bad", "tel:12", "eng"]):
        sheet.append(row)
    book.save(path)
    window.endpoints.select("contacts")
    methods = [m.value for m in window.catalog["contacts"].method_names]
    window.method_selector.setCurrentIndex(methods.index("POST"))
    window.request_panel.bulk_button.click()
    view = window.bulk_view
    view.open_file(path)
    await _until(lambda: view.source is not None, step, wait, view.counts.text)
    view.check()
    await _until(lambda: view.summary is not None, step, wait, view.counts.text)
    view.close()
    summary = view.summary
    if (summary.ready, summary.invalid_count) != (2, 1):
        raise SelfTestFailed(f"the bulk check found {view.counts.text()!r}, not 2 ready, 1 invalid")
    if '"name": "Ada"' not in view.first_request.toPlainText():
        raise SelfTestFailed("the bulk view does not show the first request as it will be sent")
    return "2 ready, 1 invalid"


async def _until(done: Any, step: _Step, wait: float, why: Any) -> None:
    """Wait until ``done()`` holds, failing on an escaped error or after ``wait`` seconds."""
    end = asyncio.get_running_loop().time() + wait
    while not done():
        step.escapes.check(step.doing)
        if asyncio.get_running_loop().time() > end:
            raise SelfTestFailed(f"timed out {step.doing}: {why()}")
        await asyncio.sleep(0.05)


async def _pull_one_archive(window: Any, connection: Any) -> str:
    """Pull the runs of the newest day archived, through the Datasets panel: one archive is
    listed, downloaded without the token, checked, inflated and stored (a frozen build that
    lost sqlite3's JSON functions or zlib fails here)."""
    import sqlite3

    from explorer.core.catalog import HttpMethod, catalog
    from explorer.core.request import Prepared
    from explorer.datasets.pull import PullSpec

    query = (("type", "run"), ("period", "daily"))
    listing = await connection.send(
        window.http, connection.request(Prepared(catalog()["archives"], HttpMethod.GET, query))
    )
    daily = [a for a in (listing.results or []) if a.get("record_count")]
    if not daily:
        raise SelfTestFailed("the sandbox lists no daily archive of runs")
    day, expected = daily[0]["start_date"], daily[0]["record_count"]
    panel = window.panels.datasets_slot.widget()
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def ended(result: Any) -> None:
        if not done.done():
            done.set_result(result)

    panel.pull_finished.connect(ended)
    panel.pull_failed.connect(ended)
    spec = PullSpec(("runs",), after=f"{day}T00:00:00.000000Z", before=f"{day}T23:59:59.999999Z")
    if panel.pull_now(spec) is None:
        raise SelfTestFailed("the Datasets panel could not start a pull")
    result = await done
    if isinstance(result, str):
        raise SelfTestFailed(result)
    runs = result.of("runs")
    path = panel.current_path()
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute("SELECT count(*) FROM run_results").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()
    if runs.archives_downloaded != 1 or rows != expected:
        raise SelfTestFailed(
            f"the pull of {day} stored {rows} runs from {runs.archives_downloaded} archives, "
            f"not {expected} from 1"
        )
    return f"pulled 1 archive ({rows} runs, {stored} results)"


async def _open_every_form(window: Any) -> int:
    """Show each endpoint's form for each method: every editor module loads (a frozen build
    that missed one fails here), and none raises."""
    count = 0
    for endpoint in window.catalog:
        window.endpoints.select(endpoint.name)
        for index, method in enumerate(endpoint.method_names):
            window.method_selector.setCurrentIndex(index)
            form = window.form
            if form.endpoint is None or form.endpoint.name != endpoint.name:
                raise SelfTestFailed(f"the form for {method.value} {endpoint.name} did not open")
            count += 1
        await asyncio.sleep(0)  # let the window breathe between endpoints
    return count


async def _send(
    window: Any,
    endpoint: str,
    method: str,
    params: dict[str, Any],
    body: dict[str, Any],
    *,
    step: _Step,
) -> Any:
    """Choose the endpoint and method as a user would, fill the form, press Send, and wait
    for the window to show the outcome."""
    window.endpoints.select(endpoint)
    methods = [m.value for m in window.catalog[endpoint].method_names]
    window.method_selector.setCurrentIndex(methods.index(method))
    form = window.form
    if form.endpoint is None or form.endpoint.name != endpoint or form.method.value != method:
        raise SelfTestFailed(f"the window did not switch to {method} {endpoint}")
    if params or body:
        form.set_values(params, body)
    if not window.send_button.isEnabled():
        problem = window.send_problem.text() or window.send_button.toolTip()
        raise SelfTestFailed(f"{method} {endpoint} cannot be sent: {problem}")
    shown: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_shown(outcome: Any) -> None:
        if not shown.done():
            shown.set_result(outcome)

    window.outcome_shown.connect(on_shown)
    try:
        window.send_button.click()
        await asyncio.wait([shown, step.escapes.failed], return_when=asyncio.FIRST_COMPLETED)
    finally:
        window.outcome_shown.disconnect(on_shown)
    step.escapes.check(step.doing)
    outcome = shown.result()
    if outcome.failed:
        raise SelfTestFailed(f"{method} {endpoint} got no response: {outcome.error}")
    return outcome


async def _check_shown(window: Any, status: str, text: str, wait: float = 10.0) -> None:
    """What the user sees: the status in the response pane's status line and ``text`` in
    its body. Waits a little: a big body may be laid out over a few loop turns."""
    response = window.response
    body = response.body  # a JsonView: rows are what is painted
    loop = asyncio.get_running_loop()
    end = loop.time() + wait
    while True:
        label = response.status_label.text()
        shown = body.is_finished() and any(
            text in body.row_text(r) for r in range(body.row_count())
        )
        if status in label and shown:
            return
        if loop.time() > end:
            break
        await asyncio.sleep(0.05)
    if status not in label:
        raise SelfTestFailed(f"the response pane shows {label!r}, not status {status}")
    raise SelfTestFailed(f"the response body on screen does not contain {text}")


def _check_icon() -> None:
    """The bundled icon loads (a frozen build that forgot its resources fails here)."""
    from PySide6.QtGui import QIcon

    from explorer import resources

    paths = resources.icon_paths()
    if not paths:
        raise SelfTestFailed(f"the app icon is missing (looked in {resources.roots()})")
    icon = QIcon()
    for p in paths:
        icon.addFile(str(p))
    if icon.isNull() or icon.pixmap(32, 32).isNull():
        raise SelfTestFailed(f"the app icon does not load from {paths[0].parent}")


def _start_sandbox() -> Any:
    """An in-memory sandbox with its own token: nothing of the user's sandbox is touched."""
    import secrets

    from explorer.sandbox.server import SandboxServer

    server = SandboxServer(token=secrets.token_hex(20))
    server.start()
    return server
