"""Lookups on the board: resolving ids, names and parties, listings from the read model,
history and focus."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from board import readmodel
from board.model import (
    COLLECTIONS,
    ITEM_COLLECTIONS,
    Agreement,
    Ambiguous,
    BoardError,
    CheckIn,
    Commitment,
    Focus,
    Goal,
    HistoryEntry,
    InvalidInput,
    Member,
    NotFound,
    PartyKind,
    Record,
    Role,
    Stream,
    Team,
)
from board.service_core import ServiceCore, reader


class Lookups(ServiceCore):
    """Read-only use cases."""

    # ------------------------------------------------------------------ lookups
    @reader
    def team(self) -> Team:
        data = self.doc.team()
        if not data:
            raise BoardError(
                "this home has no board yet (run `teamboard init` or `teamboard join`)"
            )
        return Team(**{k: v for k, v in data.items() if k in Team.__dataclass_fields__})

    @reader
    def member(self, ref: str = "me") -> Member:
        return self._get_member(self.resolve_member(ref))

    def _get_member(self, member_id: str) -> Member:
        data = self.doc.read("members", member_id)
        if data is None:
            raise NotFound(f"no member {member_id}")
        return readmodel.to_record("members", data)  # type: ignore[return-value]

    @reader
    def members(self, include_removed: bool = False) -> list[Member]:
        out = [readmodel.to_record("members", d) for d in self.doc.read_all("members")]
        members = [m for m in out if isinstance(m, Member) and (include_removed or m.active)]
        return sorted(members, key=lambda m: (m.name.lower(), m.id))

    def known_peers(self) -> builtins.list[dict[str, Any]]:
        """The peers this home remembers (id = certificate fingerprint, address, when last
        seen and last in sync), for the Peers view and reconnecting."""
        return self.store.peers()

    @reader
    def member_name(self, member_id: str) -> str:
        data = self.doc.read("members", member_id)
        return str(data.get("name")) if data else member_id

    @reader
    def resolve_member(self, ref: str) -> str:
        """A member id from ``me``, a unique name, or an id prefix."""
        ref = (ref or "").strip()
        if not ref:
            raise InvalidInput("no member given")
        if ref.lower() == "me":
            return self.me
        members = list(self.doc.read_all("members"))
        by_name = [m["id"] for m in members if str(m.get("name", "")).lower() == ref.lower()]
        if len(by_name) == 1:
            return str(by_name[0])
        if len(by_name) > 1:
            raise Ambiguous(f"several members are called {ref!r}; use their id")
        by_id = [m["id"] for m in members if m["id"].startswith(ref.lower())]
        if len(by_id) == 1:
            return str(by_id[0])
        if len(by_id) > 1:
            raise Ambiguous(f"member prefix {ref!r} is ambiguous: {', '.join(sorted(by_id))}")
        raise NotFound(f"no member called {ref!r}")

    @reader
    def resolve(self, ref: str, collections: Iterable[str] = ITEM_COLLECTIONS) -> tuple[str, str]:
        """(collection, id) of the item whose id starts with ``ref``."""
        ref = (ref or "").strip().lower()
        if not ref:
            raise InvalidInput("no id given")
        collections = tuple(collections)
        for collection in collections:  # a whole id: one lookup, not a scan of every id
            if self.doc.has(collection, ref):
                return collection, ref
        hits = [(c, rid) for c in collections for rid in self.doc.ids(c) if rid.startswith(ref)]
        exact = [h for h in hits if h[1] == ref]
        if exact:
            return exact[0]
        if not hits:
            raise NotFound(f"no item with id {ref!r}")
        if len(hits) > 1:
            shown = ", ".join(sorted(rid for _, rid in hits)[:6])
            raise Ambiguous(
                f"id prefix {ref!r} is ambiguous: {shown}{' …' if len(hits) > 6 else ''}"
            )
        return hits[0]

    @reader
    def get(self, ref: str, collections: Iterable[str] = ITEM_COLLECTIONS) -> Record:
        collection, record_id = self.resolve(ref, collections)
        data = self.doc.read(collection, record_id)
        if data is None:  # pragma: no cover - resolve found it
            raise NotFound(f"no item with id {ref!r}")
        return readmodel.to_record(collection, data)

    def _resolve_stream(self, ref: str) -> str:
        if not ref:
            return ""
        titles = [
            s
            for s in self.doc.read_all("streams")
            if str(s.get("title", "")).lower() == ref.lower()
        ]
        if len(titles) == 1:
            return str(titles[0]["id"])
        return self.resolve(ref, ["streams"])[1]

    def _resolve_goal(self, ref: str) -> str:
        return self.resolve(ref, ["goals"])[1] if ref else ""

    @reader
    def resolve_party(self, ref: str) -> tuple[str, str]:
        """(kind, value) for a commitment's ``to``: a member, a stream, or an external name."""
        ref = (ref or "").strip()
        if not ref:
            raise InvalidInput(
                "say who the commitment is to (a member, a stream or an external party)"
            )
        member = stream = None
        try:
            member = self.resolve_member(ref)
        except NotFound:
            pass
        streams = [
            s
            for s in self.doc.read_all("streams")
            if str(s.get("title", "")).lower() == ref.lower()
            or (len(ref) >= 4 and str(s["id"]).startswith(ref.lower()))
        ]
        if len(streams) == 1:
            stream = str(streams[0]["id"])
        elif len(streams) > 1:
            raise Ambiguous(f"{ref!r} names several streams; use the stream's id")
        if member and stream:
            raise Ambiguous(f"{ref!r} is both a member and a stream; use an id")
        if member:
            return PartyKind.MEMBER.value, member
        if stream:
            return PartyKind.STREAM.value, stream
        return PartyKind.EXTERNAL.value, ref

    @reader
    def party_name(self, kind: str, value: str) -> str:
        if kind == PartyKind.MEMBER.value:
            return self.member_name(value)
        if kind == PartyKind.STREAM.value:
            data = self.doc.read("streams", value)
            return str(data.get("title")) if data else value
        return value

    # ------------------------------------------------------------------ listings
    def list(
        self,
        collection: str,
        *,
        mine: bool = False,
        status: str | None = None,
        include_archived: bool = False,
    ) -> list[Record]:
        """Records of one collection from the read model, oldest first."""
        if collection not in COLLECTIONS or collection == "team":
            raise InvalidInput(f"unknown list {collection!r}")
        where, params = [], []
        if not include_archived and collection not in ("members", "focus"):
            where.append("archived = 0")
        if status:
            where.append("status = ?")
            params.append(status)
        sql = f"SELECT * FROM [{collection}]"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        records = [readmodel.from_row(collection, r) for r in self.store.rows(sql, params)]
        if collection == "members" and not include_archived:
            records = [r for r in records if isinstance(r, Member) and r.active]
        if mine:
            records = [r for r in records if self.involves(r, self.me)]
        return records

    def involves(self, record: Record, member_id: str) -> bool:
        """Whether ``member_id`` takes part in ``record``."""
        if isinstance(record, Goal):
            return member_id in record.owners
        if isinstance(record, Commitment):
            return record.by == member_id or (record.to_kind == "member" and record.to == member_id)
        if isinstance(record, Agreement):
            return member_id in record.parties
        if isinstance(record, Stream):
            return member_id in record.members
        if isinstance(record, Role):
            return member_id in record.holders
        if isinstance(record, CheckIn):
            return record.by == member_id
        if isinstance(record, Member):
            return record.id == member_id
        return record.created_by == member_id

    def checkins_for(self, item_id: str) -> builtins.list[CheckIn]:
        rows = self.store.rows("SELECT * FROM checkins WHERE item = ? ORDER BY at, id", [item_id])
        return [readmodel.from_row("checkins", r) for r in rows]  # type: ignore[misc]

    def history(
        self, ref: str | None = None, limit: int | None = None
    ) -> builtins.list[HistoryEntry]:
        """Attributed changes of one item (oldest first), or of the whole board (newest first)."""
        if ref:
            collection, record_id = self.resolve(ref)
            # history rows of records in different collections can share an item id
            kind = COLLECTIONS[collection].TYPE
            sql = "SELECT * FROM history WHERE item = ? AND type = ? ORDER BY seq"
            rows = self.store.rows(sql, [record_id, kind])
        else:
            sql = "SELECT * FROM history ORDER BY at DESC, item, seq DESC"
            rows = self.store.rows(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [readmodel.history_from_row(r) for r in rows]

    @reader
    def focus(self, ref: str = "me") -> Focus:
        member_id = self.resolve_member(ref)
        data = self.doc.read("focus", member_id)
        if data is None:
            return Focus(id=member_id, member=member_id)
        return readmodel.to_record("focus", data)  # type: ignore[return-value]
