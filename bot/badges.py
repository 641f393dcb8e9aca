"""What a reader is told about a cited source's strength and a monograph's age (issue 18).

Ingest labels every source with a study type (ingest/studytype.py) and every monograph with the date it
was last reviewed (ingest/reviewed.py). This low module turns those into what the surfaces show: the
strongest type among a citation's sources, the badge words, "Monograph reviewed March 2025", and the
notice for an answer that cites a monograph older than the staleness limit. Pure functions: the clock
and the message template are passed in, so tests use fixed dates.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LABELS = Path(__file__).with_name("badges.yaml")
# Strongest first, as bot.contract.StudyType lists them; "unknown" is never a badge.
STUDY_TYPES = ("systematic_review", "rct", "observational", "case_report", "animal_in_vitro", "regulatory", "unknown")
_ISO_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))


def strongest(kinds: Iterable[str | None]) -> str | None:
    """The strongest study type among a citation's sources; "unknown" only when nothing else is known,
    and None when there are no typed sources at all."""
    known = [k for k in kinds if k in STUDY_TYPES]
    return min(known, key=STUDY_TYPES.index) if known else None


def study_type_label(kind: str | None) -> str | None:
    """The badge words for a study type ("Randomised trial"), or None for unknown/no type."""
    return labels()["study_types"].get(kind or "")


def parse_reviewed(value: str | None) -> tuple[int, int, int | None] | None:
    """ "2025-03" or "2025-03-14" as (year, month, day); anything else (or an impossible date) is None."""
    m = _ISO_RE.fullmatch((value or "").strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return year, month, day


def reviewed_label(value: str | None) -> str | None:
    """ "2025-03-14" -> "Monograph reviewed March 2025"; None when there is no valid date."""
    parts = parse_reviewed(value)
    if parts is None:
        return None
    month = labels()["months"][parts[1] - 1]
    return str(labels()["reviewed"]).format(date=f"{month} {parts[0]}")


def _latest_day(parts: tuple[int, int, int | None]) -> date:
    """The last day the review could have happened: a month alone counts as its last day."""
    year, month, day = parts
    return date(year, month, day or calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_stale(value: str | None, today: date, months: int) -> bool:
    """True when the monograph was certainly reviewed more than `months` months before `today`."""
    parts = parse_reviewed(value)
    return parts is not None and today > _add_months(_latest_day(parts), months)


def stale_notice(reviewed_dates: Iterable[str | None], today: date, months: int, template: str) -> str | None:
    """The notice for an answer citing a monograph older than `months` months, naming the oldest one;
    None when every cited monograph is recent or has no review date (an unknown date is not called old).

    `template` is prompts/messages/stale_notice.txt, with {date} ("March 2022") and {months}.
    """
    stale = [
        (_latest_day(parts), parts)
        for v in reviewed_dates
        if (parts := parse_reviewed(v)) is not None and is_stale(v, today, months)
    ]
    if not stale:
        return None
    _, (year, month, _day) = min(stale)
    return template.format(date=f"{labels()['months'][month - 1]} {year}", months=months)
