"""Cards: what the board shows of one goal or commitment, computed once per version of the
record, the line a board column draws of it, and the preview line of the selected one
(plain data and Rich text; no Textual)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from board.model import Commitment, Goal, Member, Record, Stream, Team
from board.queries import board_column, board_sort_key, is_overdue, item_kind, item_stream
from board.ui.text import KIND_GLYPH, TYPE_LABEL, days_between, status_label


class Card:
    """What the board needs to show and filter one goal or commitment.

    Where it goes (kind, column, order) is worked out when it is made; what it says
    (``meta``, ``warn``, ``haystack``) the first time it is asked for, so that a board of
    10,000 items describes only the cards on screen (and, for a text filter, the rest)."""

    __slots__ = (
        "_names",
        "_record",
        "_said",
        "_streams",
        "_today",
        "column",
        "id",
        "kind",
        "sort_key",
        "status",
        "stream",
        "title",
        "type",
        "version",
    )

    def __init__(
        self,
        record: Record,
        kind: str,
        stream: str,
        streams: Mapping[str, Stream],
        names: Mapping[str, str],
        today: str,
    ) -> None:
        self.id = record.id
        self.type = record.TYPE
        self.kind = kind
        self.column = board_column(record)
        self.stream = stream
        self.title = record.label
        self.status = str(getattr(record, "status", ""))
        self.version = record.updated_at
        self.sort_key = board_sort_key(record)
        self._record = record
        self._streams = streams
        self._names = names
        self._today = today
        self._said: tuple[str, bool, str] | None = None

    @property
    def meta(self) -> str:
        """Who, confidence, due: the card's second line."""
        return self._say()[0]

    @property
    def warn(self) -> bool:
        """Overdue, at risk or being renegotiated."""
        return self._say()[1]

    @property
    def haystack(self) -> str:
        """Its searchable text, lower case (title, status, people)."""
        return self._say()[2]

    @property
    def signature(self) -> tuple[str, str, str, bool]:
        return (self.id, self.version, self.meta, self.warn)

    def _say(self) -> tuple[str, bool, str]:
        if self._said is None:
            self._said = _describe(self._record, self._streams, self._names, self._today)
        return self._said


def _describe(
    record: Record, streams: Mapping[str, Stream], names: Mapping[str, str], today: str
) -> tuple[str, bool, str]:
    """(meta, warn, haystack) of a goal or commitment."""
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
    return " · ".join(m for m in meta if m), warn, haystack


def make_card(
    record: Record,
    goals: Mapping[str, Goal],
    streams: Mapping[str, Stream],
    names: Mapping[str, str],
    today: str,
) -> Card:
    """The card of a goal or commitment (made once per version of the record)."""
    return Card(
        record, item_kind(record, goals, streams), item_stream(record, goals), streams, names, today
    )


BOARD_COLLECTIONS = ("goals", "commitments")
Board = tuple[dict[str, Record], dict[str, Card]]


class BoardReader(Protocol):
    """What the board and the directory are read through: the service, or the read-model
    tables while the document still loads (:class:`board.tables.BoardTables`)."""

    me: str

    def team(self) -> Team: ...

    def members(self, include_removed: bool = False) -> list[Member]: ...

    def list(self, collection: str, *, include_archived: bool = False) -> list[Record]: ...

    def today(self) -> dt.date: ...


def load_board(
    service: BoardReader, streams: Mapping[str, Stream], names: Mapping[str, str], today: str
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


def card_line(
    card: Card,
    sub: int,
    width: int,
    lines_per_card: int,
    done: bool,
    style: Style,
    component: Callable[[str], Style],
    console: Console,
) -> list[Segment]:
    """Line ``sub`` of ``card``'s ``lines_per_card`` lines in a column ``width`` wide, on
    ``style``: the kind glyph, a warning mark and the title (wrapped over all lines but the
    last when there are three or more), then who and when on the last line when there are
    two or more. ``component`` gives the style of a part (``cardlist--goal``, ...)."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    title_style = Style()
    if card.type == "goal":
        title_style += component("cardlist--goal")
    if done:
        title_style += component("cardlist--done")
    if lines_per_card >= 2 and sub == lines_per_card - 1:
        text.append("  ")
        text.append(card.meta, component("cardlist--meta"))
    else:
        title = card.title
        if lines_per_card >= 3:  # the title gets the first lines_per_card-1 lines, wrapped
            title = wrapped(card.title, width - 2, lines_per_card - 1)[sub]
        if sub == 0:
            text.append(KIND_GLYPH.get(card.kind, "·"), component(f"cardlist--{card.kind}"))
            text.append("!" if card.warn else " ", component("cardlist--warn"))
        else:
            text.append("  ")
        text.append(title, title_style)
    text.truncate(width, overflow="ellipsis", pad=True)
    return [Segment(s.text, style + s.style if s.style else style) for s in text.render(console)]


def wrapped(title: str, width: int, lines: int) -> list[str]:
    """``title`` over ``lines`` lines of ``width`` at word boundaries, the last one
    ellipsised; always ``lines`` entries."""
    width = max(width, 4)
    words, out, current = title.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        rest = " ".join(out[lines - 1 :])
        out = out[: lines - 1] + [rest if len(rest) <= width else rest[: width - 1] + "…"]
    return out + [""] * (lines - len(out))
