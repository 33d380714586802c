"""Item actions shared by the main screen and the detail screen: new, open, edit, advance,
change status, check in, consent, archive / restore. Each one goes through the service;
a refusal (e.g. an invalid transition) is shown with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding

from board.model import Agreement, Record
from board.ui.app_part import AppPart
from board.ui.messages import OpenItem

ITEM_BINDINGS = [
    Binding("e", "edit", "Edit"),
    Binding("s,space", "advance", "Advance"),
    Binding("t", "set_status", "Status", show=False),
    Binding("c", "checkin", "Check in"),
    Binding("a", "consent", "Consent"),
    Binding("x", "archive", "Archive/restore", show=False),
]
STATUSFUL = {"goal", "commitment", "agreement"}


class ItemActions(AppPart):
    """Mixin for screens: ``current_item()`` names the item the actions apply to."""

    def current_item(self) -> str | None:
        raise NotImplementedError

    def current_type(self) -> str | None:
        """The type of the current item when the screen knows it cheaply (for key hints)."""
        return None

    def _with_record(self, then: Callable[[Record], Any]) -> None:
        item = self.current_item()
        if item is None:
            self.tb.notify("Select an item first", severity="warning")
            return
        self.tb.runner.load("item-action", lambda s: s.get(item), then)

    # ------------------------------------------------------------------ actions
    def action_new(self, kind: str = "") -> None:
        from board.ui.screens.dialogs import NewItemScreen
        from board.ui.screens.forms import form_for

        if kind:
            self.tb.push_screen(form_for(kind), self._created)
        else:
            self.tb.push_screen(
                NewItemScreen(self.new_kinds()), lambda k: self.action_new(k) if k else None
            )

    def new_kinds(self) -> tuple[str, ...]:
        return ("goal", "commitment", "agreement")

    def _created(self, item_id: str | None) -> None:
        if item_id:
            self.tb.notify("Saved", timeout=2)

    def action_open(self) -> None:
        item = self.current_item()
        if item is not None:
            self.tb.post_message(OpenItem(item))

    def action_edit(self) -> None:
        from board.ui.screens.forms import form_for

        def edit(record: Record) -> None:
            if record.TYPE not in STATUSFUL:
                self.tb.notify(
                    f"A {record.TYPE} is edited with `teamboard set` for now", severity="warning"
                )
                return
            self.tb.push_screen(form_for(record.TYPE, record))

        self._with_record(edit)

    def action_advance(self) -> None:
        item = self.current_item()
        if item is None:
            return
        kind = self.current_type()
        if kind is not None and kind not in STATUSFUL:
            self.tb.notify(f"A {kind} has no status to advance", severity="warning")
            return
        self.tb.runner.write(
            lambda s: s.advance(item),
            done=lambda status: self.tb.notify_after_change(
                f"Now {status.replace('_', ' ')}", timeout=2
            ),
        )

    def action_set_status(self) -> None:
        from board.ui.screens.dialogs import StatusScreen

        def pick(record: Record) -> None:
            if record.TYPE in STATUSFUL:
                self.tb.push_screen(StatusScreen(record))

        self._with_record(pick)

    def action_checkin(self) -> None:
        from board.ui.screens.forms import CheckInForm

        def check(record: Record) -> None:
            if record.TYPE in STATUSFUL:
                self.tb.push_screen(CheckInForm(record))
            else:
                self.tb.notify(
                    "Check-ins are for goals, commitments and agreements", severity="warning"
                )

        self._with_record(check)

    def action_consent(self) -> None:
        def consent(record: Record) -> None:
            if not isinstance(record, Agreement):
                self.tb.notify("Only agreements take consent", severity="warning")
                return
            self.tb.runner.write(lambda s: s.consent(record.id), done=self._consented)

        self._with_record(consent)

    def _consented(self, active: bool) -> None:
        self.tb.notify(
            "Consented: every party agreed, the agreement is active"
            if active
            else "Consented; waiting for the other parties",
            timeout=3,
        )

    def action_archive(self) -> None:
        def toggle(record: Record) -> None:
            if record.archived:
                self.tb.runner.write(
                    lambda s: s.restore(record.id),
                    done=lambda _: self.tb.notify("Restored", timeout=2),
                )
            else:
                self.tb.runner.write(
                    lambda s: s.archive(record.id),
                    done=lambda _: self.tb.notify(
                        "Archived (restore it from its detail, key x)", timeout=3
                    ),
                )

        self._with_record(toggle)

    def item_action_allowed(self, action: str) -> bool | None:
        """For ``check_action``: hide consent when the item is not an agreement, dim item
        actions when nothing is selected."""
        if action not in {"edit", "advance", "set_status", "checkin", "consent", "archive", "open"}:
            return True
        if self.current_item() is None:
            return None if action != "consent" else False
        kind = self.current_type()
        if action == "consent":
            return kind == "agreement"
        if action in ("edit", "advance", "set_status", "checkin") and kind not in STATUSFUL:
            return None  # shown dimmed: a stream or role has no status or check-ins
        return True

    def item_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(
            "Open item", "Show the selected item with its check-ins and history", self.action_open
        )
        yield SystemCommand("Edit item", "Edit the selected item (e)", self.action_edit)
        yield SystemCommand(
            "Advance status", "Move the selected item one step on (s / space)", self.action_advance
        )
        yield SystemCommand(
            "Change status…", "Pick any status for the selected item (t)", self.action_set_status
        )
        yield SystemCommand(
            "Check in", "Record progress, confidence and learning (c)", self.action_checkin
        )
        yield SystemCommand(
            "Consent to agreement", "Agree to the selected agreement (a)", self.action_consent
        )
        yield SystemCommand(
            "Archive / restore item",
            "Archive the selected item, or restore it (x)",
            self.action_archive,
        )
        for kind in ("goal", "commitment", "agreement"):
            yield SystemCommand(
                f"New {kind}", f"Add a {kind} through a form (n)", lambda k=kind: self.action_new(k)
            )
