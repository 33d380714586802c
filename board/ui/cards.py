"""Cards: what the board shows of one goal or commitment, computed once per version of the
record, and the preview line of the selected one (plain data and Rich text; no Textual)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text

from board.model import Commitment, Goal, Record, Stream
from board.queries import board_column, board_sort_key, is_overdue, item_kind, item_stream
from board.service import BoardService
from board.ui.text import KIND_GLYPH, TYPE_LABEL, days_between, status_label


@dataclass(eq=False)
class Card:
    """What the board needs to show and filter one goal or commitment."""

    id: str
    type: str
    kind: str
    column: str
    stream: str
    title: str
    status: str
    meta: str
    warn: bool
    version: str
    haystack: str
    sort_key: tuple[str, str, str]

    @property
    def signature(self) -> tuple[str, str, str, bool]:
        return (self.id, self.version, self.meta, self.warn)


def make_card(
    record: Record,
    goals: Mapping[str, Goal],
    streams: Mapping[str, Stream],
    names: Mapping[str, str],
    today: str,
) -> Card:
    """The card of a goal or commitment (computed once per version of the record)."""
    kind = item_kind(record, goals, streams)
    people: list[str] = []
    meta: list[str] = []
    warn = False
    due = str(getattr(record, "due", "") or "")
    if isinstance(record, Goal):
        people = [names.get(o, o[:8]) for o in record.owners]
        meta.append(", ".join(people))
        if record.confidence:
            meta.append(f"{record.confidence}/10")
        warn = record.status == "at_risk" or (
            record.status in ("active", "at_risk") and bool(due) and due < today
        )
    elif isinstance(record, Commitment):
        by = names.get(record.by, record.by[:8])
        to = names.get(record.to, "") if record.to_kind == "member" else ""
        if record.to_kind == "stream":
            to = streams[record.to].title if record.to in streams else record.to
        people = [by, to or record.to]
        meta.append(f"{by} → {to or record.to}")
        warn = is_overdue(record, today) or record.status == "renegotiated"
    if due:
        days = days_between(due, today)
        late = warn and days < 0
        meta.append(f"{-days}d late" if late else f"due {due[5:]}")
    status = str(getattr(record, "status", ""))
    haystack = " ".join([record.label, status_label(status), *people]).lower()
    return Card(
        id=record.id,
        type=record.TYPE,
        kind=kind,
        column=board_column(record),
        stream=item_stream(record, goals),
        title=record.label,
        status=status,
        meta=" · ".join(m for m in meta if m),
        warn=warn,
        version=record.updated_at,
        haystack=haystack,
        sort_key=board_sort_key(record),
    )


BOARD_COLLECTIONS = ("goals", "commitments")
Board = tuple[dict[str, Record], dict[str, Card]]


def load_board(
    service: BoardService, streams: Mapping[str, Stream], names: Mapping[str, str], today: str
) -> Board:
    """Every open goal and commitment, and its card (runs in a worker thread)."""
    records: dict[str, Record] = {}
    for collection in BOARD_COLLECTIONS:
        records.update((r.id, r) for r in service.list(collection))
    goals = {i: r for i, r in records.items() if isinstance(r, Goal)}
    cards = {i: make_card(r, goals, streams, names, today) for i, r in records.items()}
    return records, cards


def preview_text(record: Record, card: Card, stream_title: str) -> Text:
    """Two lines about the selected card: its full title, then what it is and who."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{TYPE_LABEL[record.TYPE]} ", "bold")
    line.append(f"{KIND_GLYPH[card.kind]} {card.kind} · {status_label(card.status)}")
    if stream_title:
        line.append(f" · {stream_title}")
    line.append(f" · {card.meta}")
    title = Text(record.label, style="bold", no_wrap=True, overflow="ellipsis")
    return Text.assemble(title, "\n", line)
