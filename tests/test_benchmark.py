"""The benchmark runs end to end (`python -m benchmarks --quick`) and prints its table.

Not a timed test: no number is asserted, only that every measurement was taken
and reported, and that the run stayed inside its own folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from .conftest import ROOT


def test_quick_benchmark_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    raw = tmp_path / "bench.json"
    env = dict(os.environ)
    user_data = Path(env["XDG_DATA_HOME"])  # the fixture's stand-in for the user's data folder
    user_config = Path(env["XDG_CONFIG_HOME"])
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out), "--json", str(raw)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    assert "| papers | file MB | load s (open + library) | first paint headless s |" in text
    assert "| peak RSS MB |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split("|")[1].strip() for row in rows] == ["21", "1,000"]
    assert "Targets at 1,000 papers" in text
    assert "Summary:" in text

    data = orjson.loads(raw.read_bytes())
    assert [s["papers"] for s in data["sizes"]] == [21, 1000]
    for size in data["sizes"]:
        assert size["errors"] == []
        assert size["painted_ok"]
        assert size["timeouts"] == 0
        for name in (
            "open_s",
            "first_paint_headless_s",
            "keystroke_max_ms",
            "tag_max_ms",
            "cursor_comment_max_ms",
            "save_update_median_ms",
            "headless_rss_mb",
        ):
            assert size[name] is not None, name
        if "tmux" not in data["meta"]:  # tmux installed: the whole-process run must have painted
            assert size["whole_first_paint_s"] is not None
            assert size["floor_median_s"] is not None
            assert size["session_ok"], "search, edit, save and a tag in the real program"
            assert size["peak_rss_mb"] is not None

    # The logs went into --out; the user's data and config folders were never touched.
    assert (out / "papers-1000.json").is_file()
    assert not (user_data / "paper-tui").exists()
    assert not (user_config / "paper-tui").exists()
