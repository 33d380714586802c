"""Marked-up plain text for the value-network drawings (:mod:`board.network_layout`).

A :class:`Marked` line is plain text plus marks: which columns show which node (or which
commitment or agreement) and in which style. The CLI prints only the text; the terminal UI
uses the same lines and reads the marks to colour them and to move a cursor from node to
node. Wrapping, packing names into lines and drawing boxes keep the marks in place, so the
two faces share one layout. Pure Python: no I/O, no Textual.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple


class Mark(NamedTuple):
    """Columns ``start``–``end`` of a line: drawn in ``style``, naming ``target`` (a node id
    such as ``m:…``/``s:…``/``r:…``/``x:…``, ``c:`` + a commitment id, ``a:`` + an agreement
    id, or ``""`` for decoration)."""

    start: int
    end: int
    style: str = ""
    target: str = ""


@dataclass
class Marked:
    """A line (or a piece of one) of marked-up text."""

    text: str = ""
    marks: list[Mark] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text)

    def __add__(self, other: Marked | str) -> Marked:
        out = Marked(self.text, list(self.marks))
        return out.add(other)

    def add(self, other: Marked | str, style: str = "", target: str = "") -> Marked:
        """Append ``other`` in place (a string gets ``style`` and ``target``); returns self."""
        if isinstance(other, str):
            other = piece(other, style, target)
        shift = len(self.text)
        self.text += other.text
        self.marks += [Mark(m.start + shift, m.end + shift, m.style, m.target) for m in other.marks]
        return self

    def slice(self, start: int, end: int | None = None) -> Marked:
        end = len(self.text) if end is None else min(end, len(self.text))
        marks = [
            Mark(max(m.start, start) - start, min(m.end, end) - start, m.style, m.target)
            for m in self.marks
            if m.end > start and m.start < end
        ]
        return Marked(self.text[start:end], marks)

    def ljust(self, width: int) -> Marked:
        return self + " " * (width - len(self.text)) if len(self.text) < width else self

    def clip(self, width: int) -> Marked:
        """At most ``width`` columns, ending in ``…`` when cut."""
        if len(self.text) <= width:
            return self
        head = self.slice(0, max(width - 1, 0))
        if head.marks and head.marks[-1].end == len(head):  # the cut name keeps its "…"
            head.marks[-1] = head.marks[-1]._replace(end=len(head) + 1)
        head.text += "…"
        return head


def piece(text: str, style: str = "", target: str = "") -> Marked:
    """``text`` as one marked piece (unmarked when it has neither style nor target)."""
    marks = [Mark(0, len(text), style, target)] if text and (style or target) else []
    return Marked(text, marks)


def join(parts: Iterable[Marked | str], sep: str = "") -> Marked:
    """The parts one after the other (``sep`` between them), in one pass."""
    text: list[str] = []
    marks: list[Mark] = []
    at = 0
    for i, part in enumerate(parts):
        if i and sep:
            text.append(sep)
            at += len(sep)
        if isinstance(part, str):
            text.append(part)
            at += len(part)
            continue
        text.append(part.text)
        marks += [Mark(m.start + at, m.end + at, m.style, m.target) for m in part.marks]
        at += len(part.text)
    return Marked("".join(text), marks)


def normalised(line: Marked) -> Marked:
    """Whitespace runs collapsed to one space and the ends stripped (marks kept)."""
    text = line.text
    if " ".join(text.split()) == text:
        return line  # nothing to collapse (the usual case)
    index = [0] * (len(text) + 1)  # old column -> new column
    out: list[str] = []
    blank = True  # at the start, or just after a space: drop further whitespace
    for i, char in enumerate(text):
        index[i] = len(out)
        if char.isspace():
            if not blank:
                out.append(" ")
                blank = True
        else:
            out.append(char)
            blank = False
    index[len(text)] = len(out)
    if out and out[-1] == " ":
        out.pop()
    size = len(out)
    marks = [
        Mark(min(index[m.start], size), min(index[m.end], size), m.style, m.target)
        for m in line.marks
    ]
    return Marked("".join(out), [m for m in marks if m.end > m.start])


def wrap(line: Marked | str, width: int, first: str = "", rest: str = "") -> list[Marked]:
    """``line`` wrapped like :func:`textwrap.wrap` (whitespace collapsed, words longer than
    the width broken, never at hyphens), each output line keeping its marks."""
    line = normalised(piece(line) if isinstance(line, str) else line)
    if not line.text:
        line = piece("—")
    plain = line.text
    if len(first) + len(plain) <= width:
        return [piece(first) + line]  # fits: what textwrap would do, only faster
    lines = textwrap.wrap(
        plain, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    ) or [first.rstrip()]
    out: list[Marked] = []
    pos = 0
    for i, text in enumerate(lines):
        indent = first if i == 0 else rest
        body = text[len(indent) :]
        if plain.startswith(" ", pos) and not plain.startswith(body, pos):
            pos += 1  # the space textwrap dropped at the line break
        out.append(piece(indent) + line.slice(pos, pos + len(body)))
        pos += len(body)
    return out


def pack(items: Sequence[Marked], width: int, sep: str = ", ") -> list[Marked]:
    """Greedy line filling that keeps each item whole where it fits on a line; a line that
    continues on the next ends with the separator."""
    tail = sep.rstrip()
    lines: list[Marked] = []
    current = Marked()
    for i, item in enumerate(items):
        room = width - (len(tail) if i < len(items) - 1 else 0)
        candidate = item if not current.text else current + sep + item
        if len(candidate) <= room:
            current = candidate
            continue
        if current.text:
            lines.append(current + tail)
        if len(item) > room:  # too long for any line: break it at spaces where it can
            *whole, item = wrap(item, width)
            lines += whole
        current = item
    if current.text or not lines:
        lines.append(current)
    return lines


# ----------------------------------------------------------------------------- boxes

BOXES: dict[str, tuple[str, ...]] = {  # corners, lines and the tee: ╔ ═ ╗ ║ ╚ ╝ ╤
    "routine": tuple("╔═╗║╚╝╤"),
    "change": tuple("┌─┐│└┘┬"),
    "outside": tuple("╭┄╮┆╰╯┬"),
}


@dataclass
class Row:
    """One row of a box: a label (may be empty), then items — ``joined`` ones packed as
    ``a, b, c``, the others one under the other, each wrapped."""

    label: str
    items: list[Marked]
    joined: bool = True
    indent: str = ""  # before each unjoined item (its continuation lines: two more)


def box_width(title: Marked, rows: Sequence[Row]) -> int:
    """The width a box needs to show ``title`` and every row on one line each."""
    label_w = _label_width(rows)
    return max(
        [len(title) + 6]
        + [
            label_w
            + 4
            + (
                len(join(r.items, ", "))
                if r.joined
                else len(r.indent) + max(len(i) for i in r.items)
            )
            for r in rows
            if r.items
        ]
    )


def _label_width(rows: Sequence[Row]) -> int:
    widest = max((len(r.label) for r in rows if r.label), default=0)
    return widest + 2 if widest else 0


def box(
    title: Marked,
    rows: Sequence[Row],
    width: int,
    style: str,
    min_rows: int = 0,
    tee: int = -1,
    min_width: int = 0,
) -> list[Marked]:
    """A box at most ``width`` wide (its natural width when that is less): a label column,
    then items wrapped without splitting a name unless it alone is wider than the box. At
    least ``min_rows`` lines inside (blank ones added); ``tee`` >= 0 puts a ┬ in the bottom
    border at that column (where something hangs below the box); at least ``min_width``
    wide (so boxes can line up)."""
    tl, h, tr, v, bl, br, down = BOXES[style]
    label_w = _label_width(rows)
    box_w = min(width, max(box_width(title, rows), min_width))
    inner = box_w - 4
    title = title.clip(box_w - 6)
    top = piece(f"{tl}{h} ", style).add(title).add(f" {h * (box_w - len(title) - 5)}{tr}", style)
    lines = [top]
    body: list[Marked] = []
    for row in rows:
        text_w = inner - label_w
        wrapped = (
            pack(row.items, text_w)
            if row.joined
            else [
                line
                for item in row.items
                for line in wrap(item, text_w, row.indent, row.indent + "  ")
            ]
        )
        for i, line in enumerate(wrapped):
            head = piece(
                (row.label if i == 0 else "").ljust(label_w),
                "label" if i == 0 and row.label else "",
            )
            body.append(head.add(line).ljust(inner))
    body += [piece(" " * inner)] * max(0, min_rows - len(body))
    lines += [piece(f"{v} ", style).add(line).add(f" {v}", style) for line in body]
    bottom = h * (box_w - 2)
    if 0 < tee < box_w - 1:
        bottom = bottom[: tee - 1] + down + bottom[tee:]
    lines.append(piece(f"{bl}{bottom}{br}", style))
    return lines


@dataclass(frozen=True)
class Spot:
    """Where a node (or a commitment ``c:…`` / agreement ``a:…``) is drawn."""

    line: int
    start: int
    end: int
    target: str


@dataclass
class Drawing:
    """Lines of marked-up text at most ``width`` columns wide."""

    lines: list[Marked]
    width: int
    title: str = ""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines) + "\n"

    @cached_property
    def spots(self) -> list[Spot]:
        """Every named node or item, in reading order (a node may be drawn several times)."""
        return [
            Spot(i, m.start, m.end, m.target)
            for i, line in enumerate(self.lines)
            for m in line.marks
            if m.target
        ]
