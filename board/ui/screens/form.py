"""FormScreen: a modal form whose errors appear next to the field they are about.

Fields are checked on the UI thread with the same validators and lookups the service uses
(titles, dates, members, parties); the save itself runs in a worker, and anything the
service still refuses is shown next to the field it names (or under the form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from board.model import BoardError
from board.service import BoardService
from board.ui.app_part import AppPart

T = TypeVar("T")


@dataclass
class FieldSpec:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    options: list[tuple[str, str]] | None = None  # a Select when given
    suggestions: list[str] = field(default_factory=list)
    keywords: tuple[str, ...] = ()  # words in a service error that point at this field


class FormScreen(AppPart, ModalScreen[str | None]):
    """Subclasses give ``heading``, ``specs()``, ``check()`` and ``save()``."""

    heading = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Save"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._specs: list[FieldSpec] = []
        self.saving = False

    @property
    def service(self) -> BoardService:
        return self.tb.service

    def specs(self) -> list[FieldSpec]:
        raise NotImplementedError

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        """Validate ``values``: put messages into ``errors``, return parsed values."""
        raise NotImplementedError

    def save(self, service: BoardService, parsed: dict[str, Any]) -> str:
        """Runs in a worker: make the change; returns the item id."""
        raise NotImplementedError

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        self._specs = self.specs()
        with Vertical(id="form") as form:
            form.border_title = self.heading
            with VerticalScroll(id="form-fields"):
                for spec in self._specs:
                    with Horizontal(classes="field"):
                        yield Label(spec.label, classes="field-label")
                        yield self._widget(spec)
                    yield Static("", id=f"error-{spec.name}", classes="field-error", markup=False)
            yield Static("", id="form-error", classes="field-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        if self._specs:
            self.query_one(f"#field-{self._specs[0].name}").focus()

    def _widget(self, spec: FieldSpec) -> Input | Select[str]:
        if spec.options is not None:
            return Select(
                spec.options,
                value=spec.value if spec.value else Select.NULL,
                allow_blank=not spec.value,
                id=f"field-{spec.name}",
                compact=True,
                prompt=spec.placeholder or "—",
            )
        suggester = (
            SuggestFromList(spec.suggestions, case_sensitive=False) if spec.suggestions else None
        )
        return Input(
            spec.value,
            placeholder=spec.placeholder,
            id=f"field-{spec.name}",
            compact=True,
            suggester=suggester,
        )

    # ------------------------------------------------------------------ values and errors
    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in self._specs:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Select):
                out[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                out[spec.name] = cast(Input, widget).value
        return out

    def show_errors(self, errors: dict[str, str], general: str = "") -> None:
        for spec in self._specs:
            message = errors.get(spec.name, "")
            label = self.query_one(f"#error-{spec.name}", Static)
            label.update(message)
            label.set_class(bool(message), "-shown")
            self.query_one(f"#field-{spec.name}").set_class(bool(message), "-invalid")
        form_error = self.query_one("#form-error", Static)
        form_error.update(general)
        form_error.set_class(bool(general), "-shown")
        first = next((s for s in self._specs if s.name in errors), None)
        if first is not None:
            self.query_one(f"#field-{first.name}").focus()

    def field_for(self, message: str) -> str | None:
        """The field a service error is about (by the words it uses)."""
        lowered = message.lower()
        for spec in self._specs:
            for word in (*spec.keywords, spec.name.replace("_", " "), spec.label.lower()):
                if word and word in lowered:
                    return spec.name
        return None

    @staticmethod
    def guard(errors: dict[str, str], name: str, check: Callable[[], T]) -> T | None:
        """Run one field check, recording its error message under ``name``."""
        try:
            return check()
        except BoardError as exc:
            errors[name] = str(exc)
            return None

    # ------------------------------------------------------------------ actions
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        if self.saving:
            return
        errors: dict[str, str] = {}
        parsed = self.check(self.values(), errors)
        self.show_errors(errors)
        if errors:
            return
        self.saving = True
        self.tb.runner.write(lambda s: self.save(s, parsed), done=self._saved, failed=self._refused)

    def _saved(self, item_id: str) -> None:
        self.saving = False
        self.dismiss(item_id)

    def _refused(self, exc: BoardError) -> None:
        self.saving = False
        message = str(exc)
        name = self.field_for(message)
        self.show_errors({name: message} if name else {}, "" if name else message)


def split_names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_int(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise BoardError(f"{what} must be a whole number, not {text!r}") from None


def parse_number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise BoardError(f"{what} must be a number, not {text!r}") from None
