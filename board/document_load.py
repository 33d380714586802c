"""Loading a board's document in small steps, so that another thread keeps running.

automerge's ``load()`` holds the interpreter lock for as long as it runs: half a second
for a board of 10,000 items, during which a screen cannot answer a key. The change log in
SQLite holds every change of the document (a snapshot only saves replaying them), and
applying a batch of changes costs about what loading them does, so the document can be
built from the log a few milliseconds at a time, with a pause between batches in which
other threads run. The batches are sized by the time they take, and read from SQLite one
at a time (the whole log is never in memory at once).

The log holds changes as automerge writes them, deflated; applied like that, the document
would keep both forms of every change in memory (5 MB with 10,000 items), so each is
inflated first: the same change, with the same hash and checksum.

Where the log reaches the latest snapshot, the document built so far must have the
snapshot's heads; if it has not (a log that lost changes the snapshot holds), the document
is loaded from the snapshot and the changes after it, in one go (:func:`load_at_once`).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable

from board.change_ops import CHUNK_CHANGE, CHUNK_COMPRESSED_CHANGE, encode_uleb, read_uleb
from board.document import BoardDocument, heads_hex
from storage.store import Store

STEP_SECONDS = 0.004  # how long one batch may hold the interpreter lock
FIRST_BATCH = 32  # changes in the first batch; later ones are sized by the time it took
MAX_BATCH = 2000


def load_in_steps(
    store: Store,
    actor: bytes,
    pause: Callable[[], None],
    step_seconds: float = STEP_SECONDS,
) -> tuple[BoardDocument, int]:
    """The document of the board in ``store``, built from its change log in batches that
    each take about ``step_seconds``, calling ``pause`` between them; and the sequence
    number of the last change it holds.

    Raises what automerge raises for a change log it cannot read (like
    :meth:`BoardDocument.load`)."""
    latest = store.rows(
        "SELECT upto_seq, heads FROM snapshots ORDER BY upto_seq DESC, id DESC LIMIT 1"
    )
    snapshot_seq = int(latest[0]["upto_seq"]) if latest else 0
    doc = BoardDocument.empty(actor)
    seen, batch = 0, FIRST_BATCH
    checked = snapshot_seq == 0
    while True:
        # Up to the snapshot first (its heads are checked there), then the rest.
        data, last = _changes(store, seen, None if checked else snapshot_seq, batch)
        if data:
            start = time.perf_counter()
            doc.apply_changes(data)
            took = time.perf_counter() - start
            seen = last
            # Size the next batch so that it takes about step_seconds (growing it at most
            # twofold: one quick batch says little).
            wanted = int(batch * step_seconds / max(took, 1e-4))
            batch = max(1, min(MAX_BATCH, 2 * batch, wanted))
        if not checked and (not data or seen >= snapshot_seq):
            checked = True
            if heads_hex(doc.heads()) != sorted(json.loads(latest[0]["heads"])):
                return load_at_once(store, actor)
        elif not data:
            break
        del data
        pause()
    return doc, seen


def _changes(store: Store, after: int, upto: int | None, limit: int) -> tuple[list[bytes], int]:
    """The bytes of up to ``limit`` stored changes after sequence number ``after`` (and at
    most ``upto``), in their order; and the sequence number of the last one."""
    rows = store.rows(
        "SELECT seq, bytes FROM changes WHERE seq > ? AND (? IS NULL OR seq <= ?) "
        "ORDER BY seq LIMIT ?",
        (after, upto, upto, limit),
    )
    return [inflated(row["bytes"]) for row in rows], rows[-1]["seq"] if rows else after


def inflated(chunk: bytes) -> bytes:
    """A change chunk as automerge writes it uncompressed: the same change (a compressed
    chunk's checksum is that of its uncompressed form). Anything else comes back as it
    is, for automerge to judge."""
    if len(chunk) < 10 or chunk[8] != CHUNK_COMPRESSED_CHANGE:
        return chunk
    try:
        length, pos = read_uleb(chunk, 9)
        body = zlib.decompress(chunk[pos : pos + length], -15)
    except (IndexError, zlib.error):
        return chunk
    return chunk[:8] + bytes([CHUNK_CHANGE]) + encode_uleb(len(body)) + body


def load_at_once(store: Store, actor: bytes) -> tuple[BoardDocument, int]:
    """The document of the board in ``store`` from its latest snapshot plus the changes
    after it, in one go; and the sequence number of the last change it holds."""
    snapshot = store.latest_snapshot()
    upto = snapshot.upto_seq if snapshot else 0
    changes = store.changes_after(upto)
    data = (snapshot.data if snapshot else b"") + b"".join(c.data for c in changes)
    doc = BoardDocument.load(data, actor) if data else BoardDocument.empty(actor)
    return doc, changes[-1].seq if changes else upto
