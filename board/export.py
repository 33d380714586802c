"""Exports of the whole board: JSON (every record), Markdown (for people), CSV (one row per item)."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from board.model import Agreement, CheckIn, Commitment, Goal, Record, Role, Stream
from board.service import BoardService

EXPORT_COLLECTIONS = (
    "members",
    "streams",
    "roles",
    "goals",
    "commitments",
    "agreements",
    "checkins",
    "reviews",
    "focus",
)
FORMATS = ("json", "markdown", "csv")


def board_data(service: BoardService, include_archived: bool = True) -> dict[str, Any]:
    """The whole board as plain data: ``{"team": {...}, "goals": [...], ...}``."""
    data: dict[str, Any] = {"team": service.team().to_dict()}
    for collection in EXPORT_COLLECTIONS:
        records = service.list(collection, include_archived=include_archived)
        data[collection] = [r.to_dict() for r in records]
    return data


def to_json(service: BoardService) -> str:
    return json.dumps(board_data(service), indent=2, sort_keys=False) + "\n"


def _people(service: BoardService, ids: list[str]) -> str:
    return ", ".join(service.member_name(i) for i in ids)


def describe(service: BoardService, record: Record) -> str:
    """One line about a record for people (used by Markdown and the CLI)."""
    if isinstance(record, Goal):
        measure = ""
        if record.has_measure:
            measure = (
                f" — {record.metric}: {_num(record.current)} → {_num(record.target)}{record.unit}"
            )
        conf = f", confidence {record.confidence}/10" if record.confidence else ""
        return f"{record.title} [{record.kind}, {record.status}{conf}] owners: {_people(service, record.owners)}{measure}"
    if isinstance(record, Commitment):
        due = f", due {record.due}" if record.due else ""
        to = service.party_name(record.to_kind, record.to)
        return f"{record.title} [{record.status}{due}] {service.member_name(record.by)} → {to}"
    if isinstance(record, Agreement):
        missing = record.missing_consents
        waiting = f"; waiting for {_people(service, missing)}" if missing else ""
        return (
            f"{record.title} [{record.status}, review {record.review_on or '—'}] "
            f"{service.member_name(record.accountable)} accountable to "
            f"{_people(service, record.counterparts)}{waiting}"
        )
    if isinstance(record, Stream):
        ext = ", ".join(f"{e['name']} ({e['relation']})" for e in record.externals)
        return f"{record.title} [{record.kind}] members: {_people(service, record.members)}" + (
            f"; external: {ext}" if ext else ""
        )
    if isinstance(record, Role):
        return f"{record.title}: held by {_people(service, record.holders) or 'nobody'}"
    if isinstance(record, CheckIn):
        bits = [
            f"{record.progress}%" if record.progress is not None else "",
            f"confidence {record.confidence}" if record.confidence else "",
            record.note,
        ]
        return f"{service.member_name(record.by)} {record.at[:10]}: " + "; ".join(
            b for b in bits if b
        )
    return record.label


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def to_markdown(service: BoardService) -> str:
    team = service.team()
    out = [f"# {team.name}", ""]
    if team.values:
        out += ["## Values", ""] + [f"- {v}" for v in team.values] + [""]
    out += ["## Members", ""] + [f"- {m.name} (`{m.id}`)" for m in service.members()] + [""]
    for title, collection in (
        ("Streams", "streams"),
        ("Roles", "roles"),
        ("Goals", "goals"),
        ("Commitments", "commitments"),
        ("Agreements", "agreements"),
    ):
        records = service.list(collection)
        if not records:
            continue
        out += [f"## {title}", ""]
        out += [f"- `{r.id}` {describe(service, r)}" for r in records]
        out.append("")
    focus = service.list("focus")
    if focus:
        out += ["## Focus", ""]
        for f in focus:
            out.append(f"### {service.member_name(f.id)}")
            for name in ("focus", "challenge", "avoid"):
                for entry in getattr(f, name):
                    note = f" — trade-off: {entry['tradeoff']}" if entry.get("tradeoff") else ""
                    out.append(f"- {name}: {entry['text']}{note}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


CSV_COLUMNS = [
    "id",
    "type",
    "title",
    "status",
    "kind",
    "stream",
    "people",
    "to",
    "due",
    "confidence",
    "archived",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
]


def to_csv(service: BoardService) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for collection in ("streams", "roles", "goals", "commitments", "agreements"):
        for r in service.list(collection, include_archived=True):
            d = r.to_dict()
            people = (
                d.get("owners")
                or d.get("members")
                or d.get("holders")
                or (
                    [d["accountable"], *d["counterparts"]]
                    if "accountable" in d
                    else [d.get("by", "")]
                )
            )
            to = service.party_name(d["to_kind"], d["to"]) if "to_kind" in d else ""
            writer.writerow(
                {
                    "id": d["id"],
                    "type": d["type"],
                    "title": d.get("title", ""),
                    "status": d.get("status", ""),
                    "kind": d.get("kind", ""),
                    "stream": d.get("stream", ""),
                    "people": "; ".join(service.member_name(p) for p in people if p),
                    "to": to,
                    "due": d.get("due") or d.get("review_on", ""),
                    "confidence": d.get("confidence") or "",
                    "archived": "yes" if d["archived"] else "",
                    "created_by": d["created_by"],
                    "created_at": d["created_at"],
                    "updated_by": d["updated_by"],
                    "updated_at": d["updated_at"],
                }
            )
    return buf.getvalue()


def export(service: BoardService, fmt: str) -> str:
    return {"json": to_json, "markdown": to_markdown, "csv": to_csv}[fmt](service)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, renamed
    into place only once it is complete: ``path`` is never left half-written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:  # created with the usual umask, unlike mkstemp's 0600
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
