"""100,000 papers: the app shows, moves, searches and saves without building 100,000 rows.

Not a timed test (the benchmark measures time); it checks behaviour at that size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from benchmarks.generate import write_log
from paper_tui.store import Store

from .app_helpers import disk_papers, make_app, plist, settle, text_of

N = 100_000


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.json"
    write_log(path, N, seed=7)
    return path


async def test_hundred_thousand_papers(big_log: Path) -> None:
    app = make_app(big_log)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert plist(app).row_count == N
        assert f"{N:,}" not in text_of(app, "#status-line")  # plain digits, as typed
        assert f"{N} of {N} papers" in text_of(app, "#status-line")
        assert len(plist(app).visible_keys()) <= 40
        await pilot.press("G")
        last = plist(app).current
        assert last is not None and plist(app).visible_keys()[-1] == last.key
        await pilot.press("slash")
        app.main.query_one("#search", Input).value = last.title[:40]
        await pilot.pause()
        assert 1 <= plist(app).row_count < N
        await pilot.press("enter", "g", "e", *" big", "ctrl+s")
        await settle(pilot)
        key = plist(app).current.key  # type: ignore[union-attr]
    assert Store.open(big_log, readonly=True).papers  # still a valid log
    assert disk_papers(big_log)[key]["comment"].endswith(" big")
