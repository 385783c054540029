"""Adding by arXiv id or DOI from the command line and the app, against a local server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from paper_tui.store import Store

from .app_helpers import disk_papers, make_app, plist, run_cli, settle
from .fetch_server import Canned, CannedServer, closed_port

BEIT_PATH = "/api/query?id_list=2106.08254&max_results=1"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CannedServer]:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    with CannedServer() as srv:
        srv.add(BEIT_PATH, Canned.file("arxiv_2106.08254.xml"))
        monkeypatch.setenv("PAPER_TUI_ARXIV_URL", f"{srv.url}/api/query")
        monkeypatch.setenv("PAPER_TUI_CROSSREF_URL", f"{srv.url}/works")
        monkeypatch.setenv("PAPER_TUI_FETCH_TIMEOUT", "2")
        yield srv


run = run_cli


@pytest.fixture
def empty_log(tmp_path: Path) -> Path:
    return Store.create(tmp_path / "log.json")


def test_cli_add_by_arxiv_url(
    server: CannedServer, empty_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(
        capsys, "add", "https://arxiv.org/abs/2106.08254v2", "--tag", "vit", "--db", str(empty_log)
    )
    assert code == 0, err
    (paper,) = disk_papers(empty_log).values()
    assert paper["title"].startswith("BEiT")
    assert paper["arxiv_id"] == "2106.08254"
    assert paper["authors"][0] == "Hangbo Bao"
    assert paper["tags"] == ["vit"]
    assert "User-Agent" in server.seen[0].headers or "user-agent" in server.seen[0].headers
    # the same identifier again adds nothing
    code, _, err = run(capsys, "add", "arXiv:2106.08254", "--db", str(empty_log))
    assert code == 2 and "already in the log" in err
    assert len(disk_papers(empty_log)) == 1


def test_cli_unknown_doi_adds_nothing(
    server: CannedServer, empty_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "add", "10.9999/nothing.here", "--db", str(empty_log))
    assert code == 2 and "404" in err and "Traceback" not in err
    assert disk_papers(empty_log) == {}


def test_cli_offline_adds_stub_then_refresh_fills_it(
    server: CannedServer,
    empty_log: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPER_TUI_ARXIV_URL", f"http://127.0.0.1:{closed_port()}/api/query")
    code, out, err = run(capsys, "add", "2106.08254", "--comment", "読む", "--db", str(empty_log))
    assert code == 0 and "metadata pending" in err
    (stub,) = disk_papers(empty_log).values()
    assert stub["pending"] is True and stub["comment"] == "読む"
    monkeypatch.setenv("PAPER_TUI_ARXIV_URL", f"{server.url}/api/query")
    code, out, _ = run(capsys, "refresh", "--db", str(empty_log))
    assert code == 0 and "Filled 1 of 1" in out
    (paper,) = disk_papers(empty_log).values()
    assert paper["title"].startswith("BEiT") and "pending" not in paper
    assert paper["comment"] == "読む"


async def test_app_add_by_identifier(server: CannedServer, empty_log: Path) -> None:
    app = make_app(empty_log)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#add-arxiv", Input).value = "2106.08254"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert plist(app).row_count == 1
        assert plist(app).current.title.startswith("BEiT")  # type: ignore[union-attr]
        (paper,) = disk_papers(empty_log).values()
        assert paper["arxiv_id"] == "2106.08254"
        # adding it again selects it instead of adding a copy
        await pilot.press("a")
        app.screen.query_one("#add-arxiv", Input).value = "https://arxiv.org/pdf/2106.08254"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(disk_papers(empty_log)) == 1
