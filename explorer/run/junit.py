"""A run's report as JUnit XML, for CI: one testcase per request, one per unreadable file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.store.atomic import write_atomic

if TYPE_CHECKING:
    from explorer.run.engine import RunReport


def junit_xml(report: RunReport) -> str:
    """The report as JUnit XML: one testcase per request, plus one per unreadable file."""
    failures = sum(1 for r in report.results if not r.passed and r.sent)
    errors = sum(1 for r in report.results if not r.sent) + len(report.problems)
    tests = len(report.results) + len(report.problems)
    suites = ET.Element(
        "testsuites",
        name=report.name,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        time=f"{report.duration:.3f}",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=report.name,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{report.duration:.3f}",
        timestamp=report.started.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for result in report.results:
        step = result.step
        classname = ".".join([report.name, *[p for p in step.folder.split("/") if p]])
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=step.name, time=f"{result.elapsed:.3f}"
        )
        draft = step.request.draft
        summary = f"{draft.method.value} {draft.endpoint}"
        if result.status is not None:
            summary += f" -> {result.status} {result.reason}".rstrip()
        if result.waits:
            summary += f" (waited out {result.waits} rate limit responses)"
        if not result.passed:
            tag = "failure" if result.sent else "error"
            node = ET.SubElement(case, tag, message=result.message, type=result.outcome or tag)
            node.text = "\n".join([summary, *result.details])
        ET.SubElement(case, "system-out").text = summary
    for problem in report.problems:
        case = ET.SubElement(
            suite, "testcase", classname=report.name, name=problem.split(":", 1)[0], time="0"
        )
        ET.SubElement(case, "error", message=problem, type="unreadable").text = problem
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def write_junit(report: RunReport, path: Path) -> None:
    write_atomic(Path(path), junit_xml(report))
