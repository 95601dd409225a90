"""The sentence beside Send that says what stops a request from going.

Every problem is listed, not just the first: a count of three with one reason shown leaves a
new user hunting for the other two (a broadcast's missing recipient, a DELETE's missing
lookup sit in no field they have typed in, so nothing else points at them).
"""

from __future__ import annotations

from explorer.core.errors import ValidationErrors


def problem_text(errors: ValidationErrors) -> str:
    """``Fix 2 problems before sending:`` followed by one line per problem."""
    count = len(errors)
    if count == 1:
        return f"Fix 1 problem before sending: {errors.errors[0]}"
    lines = "\n".join(f"• {error}" for error in errors)
    return f"Fix {count} problems before sending:\n{lines}"
