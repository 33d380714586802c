"""The board's cards, kept current: the base class of :class:`BoardView`.

A whole read (:meth:`BoardCards.reload` with no delta, or a change to members or streams)
regroups every card; a change to a few records re-reads only those (or takes the copies
the app read right after the change) and moves only their cards, in place, so a status
change costs the same on a board of any size. Each record takes the result of the newest
read of it, so reads of different records never drop each other's results.
"""

from __future__ import annotations

from collections.abc import Iterable

from board.model import Commitment, Goal, NotFound, Record, Stream
from board.queries import BOARD_COLUMNS, BoardFilter, matches
from board.service import BoardService
from board.ui.cards import Board, Card, load_board, make_card
from board.ui.messages import BoardDelta
from board.ui.widgets.cardlist import CardList
from board.ui.widgets.view import View

KINDS = ("routine", "change")
INCREMENTAL_LIMIT = 300  # more touched records than this: reload the board


def _sort_key(card: Card) -> tuple[str, str, str]:
    return card.sort_key


class BoardCards(View):
    """Records, cards and their columns; :class:`BoardView` adds the widgets around them."""

    COLLECTIONS = ("goals", "commitments")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.records: dict[str, Record] = {}
        self.goals: dict[str, Goal] = {}
        self.cards: dict[str, Card] = {}
        self.groups: dict[tuple[str, str], list[Card]] = {}  # the lists' own card lists
        self.placed: dict[str, tuple[str, str]] = {}  # card id -> its (lane, column)
        self.filter = BoardFilter()
        self.selected: str | None = None
        self.pending_select: str | None = None  # select this card once it arrives
        self.active: CardList | None = None
        self.loaded = False
        self._fetching: dict[str, int] = {}  # record id -> the newest read asked for it
        self._fetch_count = 0
        self._asked_since_all: set[tuple[str, str]] | None = None  # a whole read in flight

    # What the view around the cards provides.
    def list_for(self, kind: str, column: str) -> CardList:
        raise NotImplementedError

    def visible_lists(self) -> list[CardList]:
        raise NotImplementedError

    def lists(self) -> Iterable[CardList]:
        raise NotImplementedError

    def activate(self, card_list: CardList, focus: bool = True) -> None:
        raise NotImplementedError

    def update_preview(self) -> None:
        raise NotImplementedError

    def _sync_filter_options(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ loading
    def reload(self, delta: BoardDelta | None) -> None:
        ids = delta.ids(*self.COLLECTIONS) if delta is not None else set()
        if (
            delta is None
            or delta.everything
            or not self.loaded
            or delta.touches("streams")
            or delta.touches("members")
            or len(ids) > INCREMENTAL_LIMIT
        ):
            self._sync_filter_options()
            self._load_all()
        elif ids:
            touched = {(c, i) for c, i in delta.touched if c in self.COLLECTIONS}
            if all(key in delta.records for key in touched):
                # Read already, right after the change: show them now. Read them once
                # more after this paint, as another writer (sync) may have changed them
                # between that read and this one.
                self._asked(touched)
                self._loaded_some({i: delta.records[c, i] for c, i in touched})
                self.call_after_refresh(self._load_some, touched)
            else:
                self._load_some(touched)

    def _board_context(self) -> tuple[dict[str, Stream], dict[str, str], str]:
        d = self.directory
        return {s.id: s for s in d.streams}, dict(d.names), self.tb.today()

    def _load_all(self) -> None:
        preloaded, self.tb.preloaded_board = self.tb.preloaded_board, None
        if preloaded is not None:  # read while the board opened
            self._loaded_all(preloaded)
            return
        streams, names, today = self._board_context()
        # The whole board read now holds what the loads of single records in flight would
        # bring; those asked for from here on are read again once it arrives (it may have
        # been read before them).
        self._fetching.clear()
        self._asked_since_all = set()
        self.tb.runner.load(
            "board", lambda s: load_board(s, streams, names, today), self._loaded_all
        )

    def _loaded_all(self, result: Board) -> None:
        again, self._asked_since_all = self._asked_since_all, None
        self.records, self.cards = result
        self.goals = {i: r for i, r in self.records.items() if isinstance(r, Goal)}
        first = not self.loaded
        self.loaded = True
        self.regroup()
        if first and self.shown:
            self.focus_main()
        if first:
            self.call_after_refresh(self.tb.board_painted)
        else:
            self.tb.settle_memory()
        if again:
            self._load_some(again)

    def _load_some(self, touched: set[tuple[str, str]]) -> None:
        def fetch(service: BoardService) -> dict[str, Record | None]:
            out: dict[str, Record | None] = {}
            for collection, record_id in touched:
                try:
                    record = service.get(record_id, [collection])
                except NotFound:
                    record = None
                out[record_id] = None if record is None or record.archived else record
            return out

        number = self._asked(touched)

        def fetched(changed: dict[str, Record | None]) -> None:
            mine = {i: r for i, r in changed.items() if self._fetching.get(i) == number}
            for record_id in mine:
                del self._fetching[record_id]
            if mine:
                self._loaded_some(mine)

        self.tb.runner.load(None, fetch, fetched)

    def _asked(self, touched: set[tuple[str, str]]) -> int:
        """Note a new read of ``touched``: results of older reads of them are dropped.

        Loads of different records must not drop each other's results (latest-wins per
        record, not per view): each record takes the result of the newest read of it."""
        self._fetch_count += 1
        if self._asked_since_all is not None:
            self._asked_since_all |= touched
        for _, record_id in touched:
            self._fetching[record_id] = self._fetch_count
        return self._fetch_count

    def _loaded_some(self, changed: dict[str, Record | None]) -> None:
        changed = {
            i: r
            for i, r in changed.items()
            if r != self.records.get(i) or (r is None and i in self.cards)
        }
        if not changed:
            return
        old_cards = {i: self.cards.get(i) for i in changed}
        relinked: set[str] = set()  # goals whose kind or stream their commitments take
        for record_id, record in changed.items():
            old = self.records.get(record_id)
            if record is None:
                self.records.pop(record_id, None)
                self.cards.pop(record_id, None)
                self.goals.pop(record_id, None)
            else:
                self.records[record_id] = record
                if isinstance(record, Goal):
                    self.goals[record_id] = record
            if isinstance(old, Goal) or isinstance(record, Goal):
                before = (old.kind, old.stream) if isinstance(old, Goal) else None
                after = (record.kind, record.stream) if isinstance(record, Goal) else None
                if before != after:
                    relinked.add(record_id)
        streams, names, today = self._board_context()
        redo = {i for i, r in changed.items() if r is not None}
        if relinked:  # a goal's kind or stream carries over to its commitments
            linked = {
                i
                for i, r in self.records.items()
                if isinstance(r, Commitment) and r.goal in relinked
            }
            old_cards.update((i, self.cards.get(i)) for i in linked if i not in old_cards)
            redo |= linked
        for record_id in redo:
            self.cards[record_id] = make_card(
                self.records[record_id], self.goals, streams, names, today
            )
        if len(old_cards) > INCREMENTAL_LIMIT:
            self.regroup()
            return
        # Move only the changed cards: out of their old column, into their new one.
        gone: dict[tuple[str, str], list[Card]] = {}
        arrived: dict[tuple[str, str], list[Card]] = {}
        for record_id, old_card in old_cards.items():
            key = self.placed.pop(record_id, None)
            if key is not None and old_card is not None:
                gone.setdefault(key, []).append(old_card)
            card = self.cards.get(record_id)
            if card is not None and self._passes(card):
                key = (card.kind, card.column)
                arrived.setdefault(key, []).append(card)
                self.placed[record_id] = key
        self._show_groups(set(gone) | set(arrived), moves=(gone, arrived))

    # ------------------------------------------------------------------ filtering and grouping
    def _passes(self, card: Card) -> bool:
        if not self.filter.active:
            return True
        return matches(
            self.records[card.id],
            self.filter,
            kind=card.kind,
            stream=card.stream,
            haystack=card.haystack,
        )

    def regroup(self) -> None:
        """Put every card that passes the filter into its lane and column."""
        self.groups = {(k, c): [] for k in KINDS for c, _ in BOARD_COLUMNS}
        self.placed = {}
        passes = self._passes if self.filter.active else None
        groups, placed = self.groups, self.placed
        for card in self.cards.values():
            if passes is None or passes(card):
                key = (card.kind, card.column)
                groups[key].append(card)
                placed[card.id] = key
        for cards in groups.values():
            cards.sort(key=_sort_key)
        self._show_groups(set(self.groups), compare=True)

    def _show_groups(
        self,
        keys: set[tuple[str, str]],
        compare: bool = False,
        moves: tuple[dict[tuple[str, str], list[Card]], dict[tuple[str, str], list[Card]]]
        | None = None,
    ) -> None:
        """Hand the cards of ``keys`` to their lists (``moves``: only these cards left or
        entered each list); the selection follows its card."""
        if self.pending_select in self.placed:  # a card just made here: select it
            self.selected, self.pending_select = self.pending_select, None
        home_key = self.placed.get(self.selected or "")
        for key in keys:
            kind, column = key
            card_list = self.list_for(kind, column)
            keep = self.selected if key == home_key else None
            if moves is None:
                card_list.set_cards(self.groups[key], keep=keep, force=not compare)
            else:
                gone, arrived = moves
                card_list.move_cards(gone.get(key, ()), arrived.get(key, ()), keep=keep)
            self.groups[key] = card_list.cards  # (the list's head shows the new count)
        home = self.list_for(*home_key) if home_key is not None else None
        if home is not None and home is not self.active and home in self.visible_lists():
            self.activate(home, focus=False)
        self.update_preview()
