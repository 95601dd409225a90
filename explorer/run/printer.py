"""A run as lines for a terminal or a CI log: one per request, a countdown while waiting."""

from __future__ import annotations

from typing import IO

from explorer.run.engine import Callbacks, RunReport, Step, StepResult


class Printer:
    """Readable lines for a terminal or a CI log: one per request, a countdown while waiting."""

    def __init__(self, out: IO[str], err: IO[str]) -> None:
        self.out = out
        self.err = err
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self._waiting = False
        self._wait_start = 0

    def callbacks(self) -> Callbacks:
        return Callbacks(step_finished=self.finished, waiting=self.waiting)

    def finished(self, result: StepResult, number: int, total: int) -> None:
        self._end_wait()
        step = result.step
        draft = step.request.draft
        width = len(str(total))
        if result.status is not None:
            status = f"{result.status} {result.reason}".strip()
        else:
            status = result.outcome or "-"
        mark = "PASS" if result.passed else "FAIL"
        line = (
            f"{mark}  {number:>{width}}/{total}  {step.label}  "
            f"[{draft.method.value} {draft.endpoint}]  {status}  {result.elapsed:.2f} s"
        )
        if result.waits:
            line += f"  (waited out {result.waits} x 429)"
        self._write(line + "\n")
        if not result.passed:
            self._write(f"      {result.message}\n")
            details = [d for d in result.details if d not in result.message]
            for detail in details[:10]:
                self._write(f"      - {_one_line(detail)}\n")

    def waiting(self, step: Step, seconds: int) -> None:
        text = f"      429 rate limited: retrying {step.label} in {seconds} s"
        if self.tty:
            self._write("\r" + text.ljust(70))
            self._waiting = True
            return
        # In a log, not a line per second for a long wait: the start, every 10 s, the end.
        if not self._waiting or seconds % 10 == 0 or seconds <= 3:
            self._write(text + "\n")
        self._waiting = True

    def _end_wait(self) -> None:
        if self._waiting and self.tty:
            self._write("\r" + " " * 70 + "\r")
        self._waiting = False

    def summary(self, report: RunReport) -> None:
        passed = sum(1 for r in report.results if r.passed)
        failed = len(report.results) - passed
        text = f"{passed} passed, {failed} failed"
        if report.problems:
            text += f", {len(report.problems)} unreadable"
        self._write(f"{text} in {report.duration:.2f} s\n")

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
        except UnicodeEncodeError:
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding))
        self.out.flush()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:199] + "…"
