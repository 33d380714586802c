"""The directory: who and what the screens name often (members, streams, the team), read
once and cached by the app; reloaded when those change."""

from __future__ import annotations

from dataclasses import dataclass, field

from board.model import Commitment, Member, Stream
from board.ui.cards import BoardReader


@dataclass
class Directory:
    """Who and what the screens name often: members, streams, the team (cached)."""

    me: str = ""
    team: str = ""
    members: list[Member] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    today: str = ""

    @classmethod
    def load(cls, service: BoardReader) -> Directory:
        everyone = service.members(include_removed=True)
        return cls(
            me=service.me,
            team=service.team().name,
            members=[m for m in everyone if m.active],
            streams=[s for s in service.list("streams") if isinstance(s, Stream)],
            names={m.id: m.name for m in everyone},
            today=service.today().isoformat(),
        )

    def name(self, member_id: str) -> str:
        return self.names.get(member_id, member_id[:8])

    def labels(self) -> dict[str, str]:
        """Member names and stream titles by id (for history entries that hold ids)."""
        return {**{s.id: s.title for s in self.streams}, **self.names}

    def stream_title(self, stream_id: str) -> str:
        return next((s.title for s in self.streams if s.id == stream_id), "")

    def party(self, commitment: Commitment) -> str:
        """Who ``commitment`` is to, as people read it: a member's name, a stream's title,
        or the outside party as written."""
        if commitment.to_kind == "member":
            return self.name(commitment.to)
        if commitment.to_kind == "stream":
            return self.stream_title(commitment.to)
        return commitment.to
