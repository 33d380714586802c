"""The layers stay honest: nothing outside board/ui imports Textual or the UI."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "board.model",
    "board.document",
    "board.document_load",
    "board.document_values",
    "board.change_ops",
    "board.change_columns",
    "board.tables",
    "board.record_index",
    "board.service",
    "board.service_core",
    "board.lookups",
    "board.use_cases",
    "board.queries",
    "board.workspace",
    "board.export",
    "board.readmodel",
    "board.reviews",
    "board.network",
    "board.network_render",
    "board.network_layout",
    "board.network_canvas",
    "board.network_home",
    "board.cli",
    "storage.store",
    "sync.identity",
    "sync.node",
    "sync.team",
    "sync.transport",
    "sync.discovery",
    "sync.invite",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, {module}; bad = [m for m in sys.modules if m == 'textual' or "
        f"m.startswith(('textual.', 'board.ui'))]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"
