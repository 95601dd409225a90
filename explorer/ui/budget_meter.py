"""The request budget meter: "Contacts: 312 / 2,500 this hour" and a small bar, warning near
the limit, and saying so when the server refuses (429) below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from explorer.core import ratelimit

if TYPE_CHECKING:  # httpx loads after the first paint
    from explorer.core.client import Outcome

NORMAL, WARNING, EXHAUSTED = "#2e7d32", "#ef6c00", "#c62828"
REFRESH_MS = 10_000  # requests age out of the hour even when nothing is sent


class BudgetMeter(QWidget):
    """Shows a workspace's :class:`explorer.core.ratelimit.BudgetMeter`: used / limit this hour.

    Past the warning share (80%) the text and bar turn orange and the tooltip says what
    happens at the limit; at the limit they turn red. When the server refuses below the
    limit, the meter says at how many it did and offers that as the workspace's limit.
    Switch workspaces with :meth:`set_model`; count requests with :meth:`record_outcome`.

    Signals:
        warning_changed(bool): the meter started or stopped warning.
        limit_chosen(int): the person took the limit the server showed (requests an hour).
    """

    warning_changed = Signal(bool)
    limit_chosen = Signal(int)

    def __init__(
        self, model: ratelimit.BudgetMeter | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("budgetMeter")
        self.setAccessibleName("Requests this hour")
        self.model = model if model is not None else ratelimit.BudgetMeter()
        self._warning = False
        self.label = QLabel(self)
        self.label.setObjectName("budgetText")
        # The count is what the meter is for: the banner beside it wraps before this is cut.
        self.label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("budgetBar")
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(60, 8)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.use_server_limit = QPushButton(self)
        self.use_server_limit.setObjectName("useServerLimitButton")
        self.use_server_limit.setFlat(True)
        self.use_server_limit.setStyleSheet("color: #1565c0; text-decoration: underline;")
        self.use_server_limit.clicked.connect(self._use_server_limit)
        self.use_server_limit.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.use_server_limit.hide()
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.use_server_limit)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    @property
    def warning(self) -> bool:
        return self._warning

    def set_model(self, model: ratelimit.BudgetMeter) -> None:
        """Show another workspace's budget."""
        self.model = model
        self.refresh()

    def set_limit(self, limit: int) -> None:
        """Change the workspace's limit (requests per hour in each scope)."""
        self.model.limit = limit
        self.refresh()

    def record_outcome(self, outcome: Outcome) -> None:
        """Count a response's request if the server counted it; note a 429 below the limit."""
        if self.model.record_outcome(outcome):
            self.refresh()

    def _use_server_limit(self) -> None:
        refusal = self.model.early_refusal
        limit = refusal.suggested_limit if refusal is not None else None
        if limit is None:
            return
        self.set_limit(limit)
        self.limit_chosen.emit(limit)

    def record(self, scope: str = ratelimit.DEFAULT_SCOPE) -> None:
        self.model.record(scope)
        self.refresh()

    def text(self) -> str:
        return self.label.text()

    def refresh(self) -> None:
        model = self.model
        refusal = model.early_refusal
        used, limit = model.used(model.shown_scope), model.limit
        self.label.setText(model.text())
        self.bar.setRange(0, limit)
        self.bar.setValue(min(used, limit))
        suggested = refusal.suggested_limit if refusal is not None else None
        self.use_server_limit.setVisible(suggested is not None)
        if suggested is not None:
            self.use_server_limit.setText(f"Set the limit to {suggested:,}")
            self.use_server_limit.setToolTip(
                f"Count against {suggested:,} requests an hour for this workspace, as the "
                "server did (Workspaces… changes it again)"
            )
        warning = model.warning
        if model.exhausted or refusal is not None:
            colour = EXHAUSTED
        elif warning:
            colour = WARNING
        else:
            colour = NORMAL
        self.label.setStyleSheet(f"color: {colour};" if colour != NORMAL else "")
        self.bar.setStyleSheet(
            f"QProgressBar {{ border: 1px solid #bdbdbd; border-radius: 3px; }}"
            f"QProgressBar::chunk {{ background: {colour}; }}"
        )
        self.setToolTip(self._tooltip(used, limit))
        if warning != self._warning:
            self._warning = warning
            self.warning_changed.emit(warning)

    def _tooltip(self, used: int, limit: int) -> str:
        scopes = self.model.by_scope()
        lines = [
            f"Requests counted by the server in the last hour: {used:,} of {limit:,} in "
            f"{ratelimit.scope_name(self.model.shown_scope)}. RapidPro counts contacts, "
            "messages and runs each on their own, and every other endpoint together (API)."
        ]
        lines += [f"  {ratelimit.scope_name(s)} ({s}): {n:,}" for s, n in scopes.items()]
        refusal = self.model.early_refusal
        if refusal is not None:
            lines.append(
                f"The server refused a request (429) after {refusal.used:,} in "
                f"{ratelimit.scope_name(refusal.scope)}, below the {limit:,} an hour set for "
                "this workspace: its limit is lower, or other apps or people use the same "
                "workspace's budget."
            )
        elif self.model.exhausted:
            wait = ratelimit.format_wait(self.model.seconds_until_free())
            lines.append(f"Limit reached: the server answers 429 for about {wait}.")
        elif self.model.warning:
            lines.append(
                f"Close to the limit ({self.model.fraction:.0%}): past {limit:,} the server "
                "refuses requests (429) until older ones are an hour old."
            )
        return "\n".join(lines)
