"""Request letters: one per holder of missing or stale records, under the right of access.

The checklist says what is missing and whom to ask; the patient file names the providers
(``[[provider]]``, with what each ``holds``) and the requests already sent (``[[request]]``).
The law a letter rests on (US HIPAA, UK GDPR, EU GDPR) and the form asked for per kind of
record are data, ``data/requests.toml``: wording a person can check against its source.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from recordpack.checklist import ChecklistItem, ChecklistReport, ItemResult, Status
from recordpack.errors import RecordpackError, UsageError
from recordpack.outputs import Staging
from recordpack.patient import Patient, Provider
from recordpack.results import RequestState
from recordpack.rules import read_toml


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The law a request rests on, in the letter's own words, and its deadline."""

    id: str
    name: str
    aliases: list[str]
    basis: str
    deadline: str  # "30 days" or "1 months": from the day the holder receives the request
    deadline_text: str
    fee: str
    form_text: str
    direct: str

    def due(self, sent: dt.date) -> dt.date:
        """When the answer is due for a request sent on ``sent``."""
        count, unit = self.deadline.split()
        if unit.startswith("month"):
            return _add_months(sent, int(count))
        return sent + dt.timedelta(days=int(count))


@dataclass(frozen=True, slots=True)
class Wanted:
    """One record asked for: the checklist item, which dates, and in what form."""

    item: ChecklistItem
    dates: str
    form: str
    status: Status


@dataclass(frozen=True, slots=True)
class Letter:
    """Everything asked of one provider."""

    provider: Provider
    wanted: tuple[Wanted, ...]


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """The letters to write, and the missing items no provider in the patient file holds."""

    letters: tuple[Letter, ...]
    unassigned: tuple[ItemResult, ...]


@cache
def _data() -> dict[str, Any]:
    return read_toml(Path(str(resources.files("recordpack") / "data" / "requests.toml")))


def jurisdictions() -> dict[str, Jurisdiction]:
    """The jurisdictions a letter can be written under, by id (us, uk, eu)."""
    return {key: Jurisdiction(id=key, **value) for key, value in _data()["jurisdiction"].items()}


def jurisdiction(name: str) -> Jurisdiction:
    """One jurisdiction; an unknown one is a usage error naming those there are."""
    known = jurisdictions()
    names = {alias: j for j in known.values() for alias in (j.id, *j.aliases)}
    chosen = names.get(name.strip().lower())
    if chosen is None:
        close = difflib.get_close_matches(name.lower(), list(names), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(f"unknown jurisdiction '{name}'", f"{hint}known: {', '.join(known)}")
    return chosen


def plan_requests(report: ChecklistReport, patient: Patient, today: dt.date) -> RequestPlan:
    """Which provider is asked for which missing or stale item.

    A provider whose ``holds`` names an item's id is asked for it; else every provider whose
    ``holds`` names one of its categories. An item already asked for in a ``[[request]]``
    that is not yet overdue is not asked again. Items nobody holds are returned apart.
    """
    if not patient.providers:
        raise RecordpackError(
            "the patient file names no provider to write to",
            'add a [[provider]] table for each holder of records, e.g. name = "Cascade '
            'Pathology", address = "…", holds = ["pathology"] (see recordpack init)',
        )
    pending = {
        item
        for state in request_states(patient, today)
        if not state.overdue and not state.request.received
        for item in state.request.items
    }
    gaps = [
        r
        for r in report.results
        if r.status in (Status.MISSING, Status.STALE) and r.item.id not in pending
    ]
    holds = [(p, {h.lower() for h in p.holds}) for p in patient.providers]
    asked: dict[str, list[ItemResult]] = {p.name: [] for p in patient.providers}
    unassigned = []
    for result in gaps:
        by_id = [p for p, held in holds if result.item.id in held]
        kinds = {c.value for c in result.item.categories}
        holders = by_id or [p for p, held in holds if held & kinds]
        for provider in holders:
            asked[provider.name].append(result)
        if not holders:
            unassigned.append(result)
    letters = []
    for provider in patient.providers:
        if asked[provider.name]:
            _require_address(provider)
            wanted = tuple(_wanted(r, report.consult_date) for r in asked[provider.name])
            letters.append(Letter(provider, wanted))
    return RequestPlan(tuple(letters), tuple(unassigned))


def _require_address(provider: Provider) -> None:
    if not (provider.address or provider.fax or provider.email):
        raise RecordpackError(
            f"provider '{provider.name}' has no address, fax or e-mail to send a letter to",
            'add address = "…" (or fax, email) to its [[provider]] table in patient.toml',
        )


def _wanted(result: ItemResult, consult: dt.date) -> Wanted:
    item = result.item
    forms = _data()["form"]
    kinds = ["physical"] if item.physical else [c.value for c in item.categories]
    form = next((forms[k] for k in kinds if k in forms), forms["default"])
    if result.status is Status.STALE and result.evidence:
        newest = max((i.date for i in result.evidence if i.date), default=None)
        dates = f"more recent than {newest.isoformat()}" if newest else "the most recent"
    elif item.physical:
        dates = "every case"
    elif item.within_days:
        dates = f"from {(consult - dt.timedelta(days=item.within_days)).isoformat()} to today"
    else:
        dates = "all dates"
    return Wanted(item, dates, form, result.status)


def request_states(patient: Patient, today: dt.date) -> tuple[RequestState, ...]:
    """Each request in the patient file, with its due date; unanswered past it is overdue."""
    states = []
    for request in patient.requests:
        due = jurisdiction(request.jurisdiction).due(request.sent)
        states.append(RequestState(request, due, request.received is None and today > due))
    return tuple(states)


def write_letters(
    plan: RequestPlan,
    patient: Patient,
    folder: Path,
    *,
    law: Jurisdiction,
    today: dt.date,
    send_to: str = "",
    template_dir: str | None = None,
) -> list[Path]:
    """Each letter as PDF and as plain text in ``folder``, which appears whole or not at all."""
    from recordpack.layout.html import render_html, render_pdf  # the page engine: only here

    written = []
    with Staging() as staging:
        work = staging.folder(folder)
        for number, letter in enumerate(plan.letters, start=1):
            context = {
                "patient": patient,
                "provider": letter.provider,
                "wanted": letter.wanted,
                "law": law,
                "today": today,
                "due": law.due(today),
                "send_to": send_to,
            }
            stem = f"{number:02d}-{_slug(letter.provider.name)}"
            text = render_html("request.txt.j2", template_dir, **context)
            (work / f"{stem}.txt").write_text(text.rstrip("\n") + "\n", encoding="utf-8")
            (work / f"{stem}.pdf").write_bytes(
                render_pdf("request.html.j2", template_dir, **context)
            )
            written += [folder / f"{stem}.pdf", folder / f"{stem}.txt"]
        for path in work.iterdir():
            path.chmod(0o600)
        staging.commit()
    return written


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "provider"


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of a shorter month)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))
