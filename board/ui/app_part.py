"""Mixins for the screens and widgets of the app: typed access to the running
:class:`board.ui.app.TeamboardApp`, and whether I facilitate the review a screen shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from board.ui.app import TeamboardApp
    from board.ui.meeting import Meeting


class AppPart:
    """Mixin for a screen or widget of the app: ``tb`` is the app, typed (Textual's own
    ``app`` property is typed for any app)."""

    app: Any

    @property
    def tb(self) -> TeamboardApp:
        return cast("TeamboardApp", self.app)


class MeetingPart(AppPart):
    """Mixin for a screen that shows a review: ``meeting`` is its state once loaded."""

    meeting: Meeting | None

    @property
    def facilitating(self) -> bool:
        """Whether I am the facilitator of the review shown."""
        return self.meeting is not None and self.meeting.review.facilitator == self.tb.directory.me
