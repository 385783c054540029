"""The paper-tui benchmark: `python -m benchmarks` or `python benchmarks/run.py`.

For each size (default: the shipped 21-paper `entries.json`, then generated
logs of 1,000, 10,000 and 100,000 papers) it

1. writes the log (`benchmarks/generate.py`, deterministic) into the output folder;
2. runs `benchmarks/headless.py` in a fresh child process, `--repeat` times:
   load (`Store.open`, `Library`), headless first paint (`run_test(size=(120, 40))`),
   search keystrokes, tag toggles, cursor moves, saving a comment (through
   the screen and with `store.update`);
3. starts the real program, `python -m paper_tui LOG`, in a detached tmux
   session of 120x40 and polls `tmux capture-pane -p` every 10 ms until the
   status line shows "N of N papers" (the whole-process first paint), each
   run paired with a `python -c "import textual.app"` run, the floor; then
   uses it briefly (search, clear, edit and save a comment, toggle a tag):
   the process's peak RSS (VmHWM) after that is the memory figure;

and prints a Markdown table, then which targets pass or fail.

Nothing touches the user's data: the logs live in `--out` (default: a new
temporary folder, removed afterwards) and XDG_DATA_HOME, XDG_CONFIG_HOME and
PAPER_TUI_CONFIG point into it, for this process and every child.

Options: --sizes 1000,10000 (21 = the shipped log), --repeat N, --quick
(21 and 1,000 papers, once, fewer moves: for the test suite), --out DIR,
--json FILE (all raw numbers), --baseline FILE (a previous --json: flags
what got slower), --no-tmux, --keep (keep the temporary folder).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/run.py`: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from benchmarks._env import isolate
from benchmarks.generate import DEFAULT_SEED, write_log

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = 21
DEFAULT_SIZES = (SHIPPED, 1_000, 10_000, 100_000)
QUICK_SIZES = (SHIPPED, 1_000)
TARGET_SIZE = 100_000
FRAME_MS = 1000 / 60  # Textual's default MAX_FPS

# The promised targets (at 100,000 papers; at 21 papers nothing may be slower).
MAX_START_RATIO = 3.0  # whole-process first paint / `import textual.app`
MAX_FILTER_MS = 50.0  # each search keystroke or tag toggle
MAX_SAVE_MS = 150.0  # saving one comment
MAX_UI_BLOCK_MS = 50.0  # "off the UI thread": the UI never waits longer than a keystroke may
MAX_RSS_MB = 400.0

perf = time.perf_counter


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def med(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def top(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return max(values) if values else None


# ---------------------------------------------------------------- child processes


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    return env


def run_measured(cmd: list[str], timeout: float) -> tuple[int, float, str]:
    """Run a child; (exit code, its own peak RSS in MB, stderr tail)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=err
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-3000:]
    return proc.returncode, usage.ru_maxrss / 1024, tail


def headless_run(
    path: Path, folder: Path, moves: int, queries: str, timeout: float
) -> dict[str, Any]:
    result_path = folder / f"headless-{path.stem}-{time.time_ns()}.json"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.headless",
        str(path),
        "--json",
        str(result_path),
        "--moves",
        str(moves),
        "--queries",
        queries,
    ]
    code, rss_mb, err = run_measured(cmd, timeout)
    if code != 0 or not result_path.exists():
        return {"error": f"exit code {code}: {err.strip()[-1500:]}", "peak_rss_mb": rss_mb}
    result: dict[str, Any] = orjson.loads(result_path.read_bytes())
    result["peak_rss_mb"] = round(rss_mb, 1)
    result_path.unlink()
    return result


def import_floor() -> float:
    start = perf()
    subprocess.run(
        [sys.executable, "-c", "import textual.app"],
        env=child_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return perf() - start


# ---------------------------------------------------------------- tmux


@dataclass
class Tmux:
    socket: str

    def cmd(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            check=check,
            env=child_env(),
        )

    def start_server(self) -> None:
        # An idle session keeps the server up, so each measured run only adds a session.
        self.cmd("new-session", "-d", "-s", "idle", "-x", "120", "-y", "40", check=True)
        self.cmd("set-option", "-g", "status", "off")

    def stop_server(self) -> None:
        self.cmd("kill-server")

    def first_paint(self, path: Path, n: int, name: str, timeout: float = 120.0) -> dict[str, Any]:
        needle = f"{n} of {n} papers"
        env = child_env()
        assigns = [
            f"{k}={env[k]}"
            for k in ("PYTHONPATH", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "PAPER_TUI_CONFIG")
        ]
        command = shlex.join(
            ["env", "-u", "PAPER_TUI_DB", *assigns, sys.executable, "-m", "paper_tui", str(path)]
        )
        start = perf()
        self.cmd("new-session", "-d", "-s", name, "-x", "120", "-y", "40", command, check=True)
        seen: float | None = None
        rows: float | None = None
        screen = ""
        tick = start
        while perf() - start < timeout:
            screen = self.cmd("capture-pane", "-p", "-t", name).stdout
            if rows is None and ("papers shown" in screen or needle in screen):
                rows = perf()  # first paint with paper rows (a large log's preview)
            if needle in screen:
                seen = perf()  # conservative: the end of the capture that saw it
                break
            tick += 0.010
            time.sleep(max(0.0, tick - perf()))
        rss = self._peak_rss_mb(name)
        lines = sum(1 for line in screen.splitlines() if line.strip())
        used = self._use(name, n) if seen is not None else None
        rss_used = self._peak_rss_mb(name)
        self._quit(name)
        return {
            "first_paint_s": None if seen is None else round(seen - start, 4),
            "first_rows_s": None if rows is None else round(rows - start, 4),
            "rss_at_paint_mb": rss,
            "session_ok": used,
            "rss_after_use_mb": rss_used,
            "lines": lines,
            "screen_tail": "" if seen is not None else screen[-600:],
        }

    def _wait_for(self, name: str, needle: str, timeout: float = 30.0) -> bool:
        deadline = perf() + timeout
        while perf() < deadline:
            if needle in self.cmd("capture-pane", "-p", "-t", name).stdout:
                return True
            time.sleep(0.02)
        return False

    def _use(self, name: str, n: int) -> bool:
        """A short session, as a user would: search, clear, edit and save a comment,
        toggle a tag; True if every step showed on screen. The process's peak
        memory after it is the benchmark's memory figure."""

        def keys(*typed: str) -> None:
            self.cmd("send-keys", "-t", name, *typed)

        ok = True
        keys("/transformer")
        ok &= self._wait_for(name, 'search "transformer"')
        time.sleep(0.3)  # escape alone, or the terminal reads escape + key as alt+key
        keys("Escape")
        ok &= self._wait_for(name, f"{n} of {n} papers")
        keys("e")
        time.sleep(0.3)
        keys("benchmark edit", "C-s")
        ok &= self._wait_for(name, "Saved the comment")
        keys("f")
        time.sleep(0.3)
        keys("Space")
        ok &= self._wait_for(name, "tags ")
        time.sleep(0.3)
        keys("Space")
        return ok

    def _peak_rss_mb(self, name: str) -> float | None:
        out = self.cmd("list-panes", "-t", name, "-F", "#{pane_pid}").stdout.split()
        if not out:
            return None
        pids = [int(out[0])]
        while pids:  # the pane's process, or its python child if a shell stayed in between
            pid = pids.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if "python" in Path(f"/proc/{pid}/comm").read_text():
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        return round(int(line.split()[1]) / 1024, 1)
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(c) for c in (task / "children").read_text().split()]
        return None

    def _quit(self, name: str) -> None:
        self.cmd("send-keys", "-t", name, "C-q")
        deadline = perf() + 5
        while perf() < deadline and self.cmd("has-session", "-t", name).returncode == 0:
            time.sleep(0.05)
        self.cmd("kill-session", "-t", name)


# ---------------------------------------------------------------- one size


def prepare_log(n: int, folder: Path, seed: int) -> Path:
    pristine = folder / f"papers-{n}.orig.json"
    if n == SHIPPED:
        shutil.copyfile(ROOT / "entries.json", pristine)
    else:
        write_log(pristine, n, seed)
    return pristine


def fresh_copy(pristine: Path) -> Path:
    """A working copy of the log, as if never opened (runs save into it)."""
    path = pristine.with_name(pristine.name.replace(".orig", ""))
    for extra in (".bak", ".drafts.json", ".lock"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    shutil.copyfile(pristine, path)
    return path


def measure_size(
    n: int, args: argparse.Namespace, folder: Path, tmux: Tmux | None
) -> dict[str, Any]:
    log(f"[{n} papers] writing the log")
    pristine = prepare_log(n, folder, args.seed)
    out: dict[str, Any] = {"papers": n, "file_mb": round(pristine.stat().st_size / 1e6, 2)}
    runs = []
    for r in range(args.repeat):
        log(f"[{n} papers] headless run {r + 1}/{args.repeat}")
        path = fresh_copy(pristine)
        runs.append(headless_run(path, folder, args.moves, args.queries, args.timeout))
        if "error" in runs[-1]:
            log(f"[{n} papers] headless run failed: {runs[-1]['error']}")
    out["runs"] = runs
    whole: list[dict[str, Any]] = []
    floors: list[float] = []
    count = max(3, args.repeat)
    for r in range(count):
        floors.append(round(import_floor(), 4))
        if tmux is not None and r < args.repeat:
            log(f"[{n} papers] whole process in tmux, run {r + 1}/{args.repeat}")
            path = fresh_copy(pristine)
            whole.append(tmux.first_paint(path, n, f"run-{n}-{r}"))
    out["whole"] = whole
    out["floor_s"] = floors
    out.update(aggregate(out))
    return out


def aggregate(size: dict[str, Any]) -> dict[str, Any]:
    runs = [r for r in size["runs"] if "error" not in r]
    keys = [k.get("frame_ms") for r in runs for k in r["keystrokes"]]
    tags = [k.get("frame_ms") for r in runs for k in r["tags"]]
    comment = [c.get("comment_ms") for r in runs for c in r["cursor"]]
    listing = [c.get("list_ms") for r in runs for c in r["cursor"]]
    lag = [
        c["comment_ms"] - c["list_ms"]
        for r in runs
        for c in r["cursor"]
        if c.get("comment_ms") is not None and c.get("list_ms") is not None
    ]
    behind = [c.get("frames_behind") for r in runs for c in r["cursor"]]
    apps = [r["save_app"] for r in runs if r.get("save_app")]
    whole = [w["first_paint_s"] for w in size["whole"]]
    floor = med(size["floor_s"])
    whole_med = med(whole)
    rows_med = med([w.get("first_rows_s") for w in size["whole"]])
    timeouts = sum(v is None for v in keys + tags + comment + listing)
    return {
        "errors": [r["error"] for r in size["runs"] if "error" in r],
        "open_s": med([r["open_s"] for r in runs]),
        "library_s": med([r["library_s"] for r in runs]),
        "first_paint_headless_s": med([r["first_paint_s"] for r in runs]),
        "first_frame_headless_s": med([r["first_frame_s"] for r in runs]),
        "painted_ok": all(r.get("painted_ok") for r in runs) if runs else False,
        "whole_first_paint_s": whole_med,
        "whole_first_rows_s": rows_med,
        "whole_missed": sum(w is None for w in whole),
        "floor_median_s": floor,
        "ratio": None if rows_med is None or not floor else rows_med / floor,
        "ratio_all_loaded": None if whole_med is None or not floor else whole_med / floor,
        "keystroke_median_ms": med(keys),
        "keystroke_max_ms": top(keys),
        "keystroke_handler_median_ms": med(
            [k["handler_ms"] for r in runs for k in r["keystrokes"]]
        ),
        "keystroke_handler_max_ms": top([k["handler_ms"] for r in runs for k in r["keystrokes"]]),
        "tag_median_ms": med(tags),
        "tag_max_ms": top(tags),
        "tag_handler_max_ms": top([k["handler_ms"] for r in runs for k in r["tags"]]),
        "cursor_list_median_ms": med(listing),
        "cursor_list_max_ms": top(listing),
        "cursor_comment_median_ms": med(comment),
        "cursor_comment_max_ms": top(comment),
        "cursor_comment_lag_median_ms": med(lag),
        "cursor_comment_lag_max_ms": top(lag),
        "cursor_frames_behind_max": top(behind),
        "timeouts": timeouts,
        "save_update_median_ms": med([r["save_update_median_ms"] for r in runs]),
        "save_ui_thread_ms": top([a["ui_thread_ms"] for a in apps]),
        "save_ui_frame_ms": top([a["frame_ms"] for a in apps]),
        "save_background_ms": med([a["background_done_ms"] for a in apps]),
        "save_loop_stall_ms": top([a["max_loop_stall_ms"] for a in apps]),
        "save_errors": [e for a in apps for e in a.get("errors", [])],
        "keystroke_frames_median": med([k.get("frames") for r in runs for k in r["keystrokes"]]),
        "keystroke_compose_median_ms": med(
            [k.get("compose_ms") for r in runs for k in r["keystrokes"]]
        ),
        "gc_open_ms": med([r.get("gc", {}).get("store_open", {}).get("total_ms") for r in runs]),
        "gc_first_paint_ms": med(
            [r.get("gc", {}).get("first_paint", {}).get("total_ms") for r in runs]
        ),
        "gc_interactive_max_ms": top(
            [
                r.get("gc", {}).get(phase, {}).get("max_ms")
                for r in runs
                for phase in ("keystrokes", "tag_toggles", "cursor", "save_in_app")
            ]
        ),
        "headless_rss_mb": top([r["peak_rss_mb"] for r in runs]),
        "whole_rss_at_paint_mb": top([w.get("rss_at_paint_mb") for w in size["whole"]]),
        "peak_rss_mb": top([w.get("rss_after_use_mb") for w in size["whole"]]),
        "session_ok": all(w.get("session_ok") for w in size["whole"]) if size["whole"] else None,
    }


# ---------------------------------------------------------------- report


def f(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def table(sizes: list[dict[str, Any]]) -> str:
    head = [
        "papers",
        "file MB",
        "load s (open + library)",
        "first paint headless s",
        "whole-process first rows / all loaded s",
        "import-textual floor s",
        "ratio (first rows)",
        "keystroke median/max ms",
        "tag toggle median/max ms",
        "cursor median/max ms",
        "save ms",
        "peak RSS MB",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for s in sizes:
        load = None if s["open_s"] is None else s["open_s"] + (s["library_s"] or 0)
        rows.append(
            "| "
            + " | ".join(
                [
                    f"{s['papers']:,}",
                    f(s["file_mb"], 1),
                    f"{f(load, 2)} ({f(s['open_s'], 2)} + {f(s['library_s'], 2)})",
                    f(s["first_paint_headless_s"], 2),
                    f"{f(s['whole_first_rows_s'], 2)} / {f(s['whole_first_paint_s'], 2)}",
                    f(s["floor_median_s"], 2),
                    f(s["ratio"], 1) + ("×" if s["ratio"] is not None else ""),
                    f"{f(s['keystroke_median_ms'])} / {f(s['keystroke_max_ms'])}",
                    f"{f(s['tag_median_ms'])} / {f(s['tag_max_ms'])}",
                    f"{f(s['cursor_comment_median_ms'])} / {f(s['cursor_comment_max_ms'])}",
                    f(s["save_update_median_ms"]),
                    f(s["peak_rss_mb"]),
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def details(s: dict[str, Any]) -> str:
    def v(key: str, digits: int = 0) -> str:
        return f(s[key], digits)

    parts = [
        f"- {s['papers']:,} papers: headless first frame with rows"
        f" {v('first_frame_headless_s', 2)} s;",
        f"keystroke handler (refresh_view) median/max {v('keystroke_handler_median_ms')}/"
        f"{v('keystroke_handler_max_ms')} ms, then {v('keystroke_frames_median')} frame(s)"
        f" composed in {v('keystroke_compose_median_ms')} ms (medians);",
        f"cursor: list moved after {v('cursor_list_median_ms')}/{v('cursor_list_max_ms')} ms,",
        f"comment pane {v('cursor_comment_lag_median_ms')}/{v('cursor_comment_lag_max_ms')} ms"
        f" later (up to {v('cursor_frames_behind_max')} frames behind);",
        f"save in the app: UI thread {v('save_ui_thread_ms')} ms, on disk after"
        f" {v('save_background_ms')} ms (first save also writes the .bak), event loop blocked"
        f" up to {v('save_loop_stall_ms')} ms meanwhile;",
        f"garbage collection: {v('gc_open_ms')} ms of Store.open, {v('gc_first_paint_ms')} ms"
        f" of the first paint, longest pause while typing/moving/saving"
        f" {v('gc_interactive_max_ms')} ms;",
        f"whole-process RSS at first paint {v('whole_rss_at_paint_mb')} MB; headless child"
        f" (which also builds a second library for timing) {v('headless_rss_mb')} MB.",
    ]
    if s["session_ok"] is False:
        parts.append("the whole-process session (search, edit, save, tag) did not show every step!")
    if s["errors"]:
        parts.append(f"ERRORS: {s['errors']}")
    if s["timeouts"]:
        parts.append(f"{s['timeouts']} measurements timed out.")
    if s["whole_missed"]:
        parts.append(f"{s['whole_missed']} whole-process runs never showed the status line.")
    if not s["painted_ok"]:
        parts.append("the headless app did not show all papers!")
    return " ".join(parts)


def check_targets(s: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, passed or None when not measured, the numbers)."""

    def v(key: str, digits: int = 0) -> str:
        return f(s[key], digits)

    def le(value: float | None, limit: float) -> bool | None:
        return None if value is None else value <= limit

    off_thread = None
    if s["save_ui_frame_ms"] is not None:
        off_thread = (
            s["save_ui_frame_ms"] <= MAX_UI_BLOCK_MS
            and (s["save_loop_stall_ms"] or 0) <= MAX_UI_BLOCK_MS
        )
    out = [
        (
            f"whole-process start to first paint <= {MAX_START_RATIO:g}x `import textual.app`",
            le(s["ratio"], MAX_START_RATIO),
            f"rows on screen after {v('whole_first_rows_s', 2)} s vs floor"
            f" {v('floor_median_s', 2)} s = {v('ratio', 1)}x; whole log in after"
            f" {v('whole_first_paint_s', 2)} s = {v('ratio_all_loaded', 1)}x",
        ),
        (
            f"each search keystroke: list and counts on screen within {MAX_FILTER_MS:g} ms",
            le(s["keystroke_max_ms"], MAX_FILTER_MS),
            f"median {v('keystroke_median_ms')} ms, max {v('keystroke_max_ms')} ms",
        ),
        (
            f"each tag toggle: list and counts on screen within {MAX_FILTER_MS:g} ms",
            le(s["tag_max_ms"], MAX_FILTER_MS),
            f"median {v('tag_median_ms')} ms, max {v('tag_max_ms')} ms",
        ),
        (
            "cursor move: comment pane follows within one frame (<= 16.7 ms after the list)",
            le(s["cursor_comment_lag_max_ms"], FRAME_MS),
            f"comment pane {v('cursor_comment_lag_median_ms')}/{v('cursor_comment_lag_max_ms')}"
            f" ms (median/max) after the list; key to comment {v('cursor_comment_median_ms')}/"
            f"{v('cursor_comment_max_ms')} ms",
        ),
        (
            f"saving one comment <= {MAX_SAVE_MS:g} ms",
            le(s["save_update_median_ms"], MAX_SAVE_MS),
            f"store.update median {v('save_update_median_ms')} ms",
        ),
        (
            f"... off the UI thread (UI blocked <= {MAX_UI_BLOCK_MS:g} ms)",
            off_thread,
            f"ctrl+s to frame {v('save_ui_frame_ms')} ms, event loop blocked up to"
            f" {v('save_loop_stall_ms')} ms by the background save",
        ),
        (
            f"peak memory <= {MAX_RSS_MB:g} MB",
            le(s["peak_rss_mb"], MAX_RSS_MB),
            f"{v('peak_rss_mb')} MB (whole process: peak after loading, searching, editing,"
            " saving and toggling a tag)",
        ),
    ]
    return out


def word(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a "}[ok]


def compare(sizes: list[dict[str, Any]], baseline: dict[str, Any]) -> list[str]:
    """Metrics slower than in a previous run (more than 25% and more than a small margin)."""
    old = {s["papers"]: s for s in baseline.get("sizes", [])}
    metrics = [
        ("open_s", 0.005),
        ("library_s", 0.005),
        ("first_paint_headless_s", 0.02),
        ("whole_first_paint_s", 0.05),
        ("keystroke_median_ms", 3),
        ("tag_median_ms", 3),
        ("cursor_comment_median_ms", 3),
        ("save_update_median_ms", 3),
        ("peak_rss_mb", 5),
    ]
    lines = []
    for s in sizes:
        before = old.get(s["papers"])
        if before is None:
            continue
        for name, margin in metrics:
            a, b = before.get(name), s.get(name)
            if a is not None and b is not None and b > a * 1.25 and b - a > margin:
                lines.append(f"- {s['papers']:,} papers: {name} {a:.3g} -> {b:.3g}")
    return lines


def report(
    sizes: list[dict[str, Any]], meta: dict[str, Any], baseline: dict[str, Any] | None
) -> str:
    lines = [
        f"paper-tui benchmark · {meta['when']} · Python {meta['python']}"
        f" · Textual {meta['textual']} · {meta['cpus']} CPUs"
        f" · load average {meta['loadavg']} · repeat {meta['repeat']}",
        "",
        table(sizes),
        "",
        "load = Store.open + Library(papers); first paint headless = PaperApp() until the first"
        " pilot.pause() of run_test(size=(120, 40)); whole-process = `python -m paper_tui LOG` in"
        " tmux 120x40 (polled every 10 ms) until paper rows are on screen (first rows: a large log"
        " shows its first papers while the rest loads) and until the status line shows all"
        " papers (all loaded); ratio = first rows / floor; keystroke, tag toggle, cursor = from"
        " the change to the end of the"
        " first frame that shows it (cursor: the comment pane's frame); save = store.update(paper),"
        " median; peak RSS = the whole process's peak (VmHWM) after a session in tmux: search,"
        " clear, edit and save a comment, toggle a tag.",
        "",
    ]
    lines += [details(s) for s in sizes]
    measured = [s for s in sizes if s["papers"] >= TARGET_SIZE] or sorted(
        sizes, key=lambda s: s["papers"]
    )[-1:]
    verdicts: dict[str, list[str]] = {"PASS": [], "FAIL": [], "n/a ": []}
    for s in measured[-1:]:
        note = (
            ""
            if s["papers"] >= TARGET_SIZE
            else f" (targets are for {TARGET_SIZE:,}; largest measured)"
        )
        lines += ["", f"Targets at {s['papers']:,} papers{note}:"]
        for name, ok, numbers in check_targets(s):
            lines.append(f"- {word(ok)} {name}: {numbers}")
            verdicts[word(ok)].append(name.split(":")[0])
    small = [s for s in sizes if s["papers"] == SHIPPED]
    if small:
        s = small[0]
        fails = [name for name, ok, _ in check_targets(s) if ok is False]
        lines += [
            "",
            f"At {SHIPPED} papers (the shipped log) the same targets: "
            + ("all pass." if not fails else "FAIL: " + "; ".join(fails) + "."),
        ]
    if baseline is not None:
        slower = compare(sizes, baseline)
        lines += [
            "",
            "Slower than the baseline:" if slower else "Nothing slower than the baseline.",
        ]
        lines += slower
    if measured:
        lines += [
            "",
            f"Summary: {len(verdicts['PASS'])} targets pass, {len(verdicts['FAIL'])} fail"
            + (f" ({'; '.join(verdicts['FAIL'])})" if verdicts["FAIL"] else "")
            + (f", {len(verdicts['n/a '])} not measured" if verdicts["n/a "] else "")
            + ".",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure paper-tui on logs of 21 to 100,000 papers and print a table.",
    )
    parser.add_argument(
        "--sizes",
        help="comma-separated paper counts; 21 is the shipped entries.json "
        "(default: 21,1000,10000,100000)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per size; medians are reported (default 3)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="21 and 1,000 papers, once: a smoke run"
    )
    parser.add_argument(
        "--out", type=Path, help="folder for the logs (default: a temporary folder)"
    )
    parser.add_argument("--json", type=Path, help="also write every raw number to this file")
    parser.add_argument(
        "--baseline", type=Path, help="a previous --json file: report what got slower"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--moves", type=int, default=50, help="cursor presses per run (default 50)")
    parser.add_argument(
        "--queries", default="transformer,再現実験", help="search queries typed, comma-separated"
    )
    parser.add_argument("--no-tmux", action="store_true", help="skip the whole-process measurement")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per child process")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or ",".join(map(str, QUICK_SIZES))
        args.repeat = 1
        args.moves = min(args.moves, 10)
        args.queries = args.queries.split(",")[0]
    try:
        args.size_list = [
            int(x.replace("_", "")) for x in (args.sizes or "").split(",") if x.strip()
        ] or list(DEFAULT_SIZES)
    except ValueError:
        parser.error("--sizes takes numbers separated by commas, like 1000,10000")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    temporary = args.out is None
    folder = Path(tempfile.mkdtemp(prefix="paper-tui-bench-")) if temporary else args.out.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    isolate(folder / "home")
    baseline = orjson.loads(args.baseline.read_bytes()) if args.baseline else None

    import textual

    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "textual": getattr(textual, "__version__", "?"),
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "repeat": args.repeat,
        "sizes": args.size_list,
        "seed": args.seed,
    }
    tmux: Tmux | None = None
    if args.no_tmux:
        meta["tmux"] = "skipped (--no-tmux)"
    elif shutil.which("tmux") is None:
        meta["tmux"] = "skipped: tmux is not installed"
        log("tmux is not installed: the whole-process first paint is skipped")
    else:
        tmux = Tmux(f"paper-tui-bench-{os.getpid()}")
        tmux.start_server()
    sizes: list[dict[str, Any]] = []
    try:
        for n in args.size_list:
            sizes.append(measure_size(n, args, folder, tmux))
    finally:
        if tmux is not None:
            tmux.stop_server()
        if temporary and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            log(f"logs and settings kept in {folder}")
    text = report(sizes, meta, baseline)
    if tmux is None:
        text += f"\n\nWhole-process first paint not measured: {meta['tmux']}."
    print(text)
    if args.json:
        args.json.write_bytes(
            orjson.dumps({"meta": meta, "sizes": sizes}, option=orjson.OPT_INDENT_2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
