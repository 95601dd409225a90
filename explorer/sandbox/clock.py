"""Time as the sandbox stores it: integer microseconds since the epoch, in UTC."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime, timedelta

from explorer.core.values import format_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    return time.time_ns() // 1000


def to_us(dt: datetime) -> int:
    delta = dt.astimezone(UTC) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


_DAY_US = 86_400_000_000


@functools.lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return format_datetime(EPOCH + timedelta(days=day))[:10]


def iso(us: int | None) -> str | None:
    """``YYYY-MM-DDThh:mm:ss.ssssssZ`` as RapidPro writes it (values.format_datetime), or None.

    The date part is cached per day: the seed formats millions of these.
    """
    if us is None:
        return None
    day, rest = divmod(us, _DAY_US)
    seconds, micros = divmod(rest, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_day_prefix(day)}T{hour:02d}:{minute:02d}:{second:02d}.{micros:06d}Z"
