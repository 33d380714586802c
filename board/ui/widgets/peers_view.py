"""The Peers view: who this machine syncs with right now (name, address, in sync, changes
received), the peers it remembers, and a field to connect to a peer by address."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import Input, Static

from board.service import BoardService
from board.ui.messages import BoardDelta
from board.ui.widgets.view import ItemTable, Row, View, cell


@dataclass
class PeerRow:
    key: str
    name: str
    address: str
    state: str
    changes_in: str
    last_sync: str
    live: bool


class PeersView(View):
    TITLE = "Peers"
    COLLECTIONS = ()
    NEW_KINDS = ()

    def build(self) -> ComposeResult:
        yield Static("", id="peers-state", markup=False)
        yield ItemTable(
            [
                ("Name", 12),
                ("Address", 22),
                ("State", 10),
                ("Changes in", 10),
                ("Last sync", 19),
            ],
            id="peers-table",
        )
        yield Input(placeholder="connect to a peer: HOST:PORT, then Enter", id="peer-address")
        yield Static("", id="peer-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.tb.sync_changed.subscribe(self, self._sync_changed)

    def _sync_changed(self, event: object) -> None:
        if self.shown and self.ready:
            self.reload(None)
        else:
            self.stale = True

    def relevant(self, delta: BoardDelta) -> bool:
        return delta.touches("members")

    def reload(self, delta: BoardDelta | None) -> None:
        sync = self.tb.sync

        def fetch(service: BoardService) -> list[PeerRow]:
            rows: list[PeerRow] = []
            live = sync.peers() if sync is not None else []
            for p in live:
                rows.append(
                    PeerRow(
                        f"live:{p.address}:{p.name}",
                        p.name,
                        p.address or "(connected to us)",
                        "in sync" if p.synced else "syncing…",
                        str(p.changes_in),
                        "",
                        True,
                    )
                )
            names = {
                sync.node.member_name_for(r["id"]) if sync else r["id"][:12]: r
                for r in service.known_peers()
            }
            connected = {p.name for p in live}
            for name, r in names.items():
                if name in connected:
                    for row in rows:
                        if row.live and row.name == name:
                            row.last_sync = str(r.get("last_sync") or "")
                    continue
                rows.append(
                    PeerRow(
                        f"known:{r['id']}",
                        name,
                        str(r.get("address") or "—"),
                        "not connected",
                        "—",
                        str(r.get("last_sync") or ""),
                        False,
                    )
                )
            return rows

        self.tb.runner.load("peers", fetch, self._loaded)

    def _loaded(self, peers: list[PeerRow]) -> None:
        tb = self.tb
        if tb.sync_error:
            state = tb.sync_error
        elif tb.sync is None:
            state = "Sync is not running in this app."
        else:
            port = tb.sync.port
            count = sum(p.live for p in peers)
            state = f"Listening on port {port} · {count} connected" + (
                f" · last sync {tb.last_sync}" if tb.last_sync else ""
            )
        self.query_one("#peers-state", Static).update(state)
        rows: list[Row] = [
            (
                p.key,
                [
                    cell(p.name, "bold" if p.live else ""),
                    cell(p.address),
                    cell(p.state, "" if p.live else "dim"),
                    cell(p.changes_in),
                    cell(p.last_sync or "—"),
                ],
            )
            for p in peers
        ]
        self.query_one(ItemTable).show_rows(rows)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from sync.node import parse_address

        event.stop()
        error = self.query_one("#peer-error", Static)
        text = event.value.strip()
        try:
            host, port = parse_address(text)
            if self.tb.sync is None:
                raise ValueError(self.tb.sync_error or "sync is not running in this app")
            self.tb.sync.connect(host, port)
        except (ValueError, RuntimeError) as exc:
            error.update(str(exc))
            error.add_class("-shown")
            return
        error.remove_class("-shown")
        event.input.value = ""
        self.tb.notify(f"Connecting to {host}:{port}…", title="Sync")

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()
