"""In-process measurements of one log: load, headless first paint, keystrokes, saves.

Run by `benchmarks/run.py` as a child process per log (so its peak RSS is the
app's own), or by hand:

    python -m benchmarks.headless LOG --json result.json [--profile DIR]

How latency is measured. `await pilot.pause()` always sleeps at least 20 ms
(Textual's idle detection, `SLEEP_GRANULARITY`), so timing "until pause()
returns" has a 20-40 ms floor that says nothing about the app. Instead a probe
wraps `Screen._compositor_refresh` (where a frame is composed: every visible
widget's lines are rendered, exactly as on a terminal, only not written out)
and records when each frame ends. A keystroke's latency is the time from the
change to the end of the first frame composed after the app's state shows it,
so it includes the handler, Textual's frame pacing (60 fps) and the render.
The pause()-based times are kept in the JSON as well (`pause_ms`).

Measured here:
* `open_s`: `Store.open` (read, parse, build `Paper`s); `library_s`: `Library(papers)`.
* `first_paint_s`: `PaperApp(...)` creation until the first `pilot.pause()` of
  `run_test(size=(120, 40))` returns; `first_frame_s`: until the first frame
  in which the paper list drew rows.
* `keystrokes`: each query typed into the search box one key at a time, then
  erased with backspace (each key is a Key event posted to the app, as the
  terminal driver posts it, and one `refresh_view`); `tags`: three tags
  toggled on, then off (each highlighted in the tag filter, then a space Key
  event posted).
* `cursor`: `j` pressed (down, bouncing back up at the end); per press the
  frame where the list cursor moved and the frame where the comment pane shows
  the new paper's Markdown (it is parsed on a thread and mounted, so it can
  lag the list by frames).
* `save_app`: a comment edited and saved through the screen: the UI-thread
  cost, the frame that shows it saved, when the background save finished,
  and the longest the event loop was blocked between that frame and the end
  of the save (the save thread holds the GIL in C code).
* `save_update_ms`: `store.update(paper)` in-process, 5 times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from benchmarks._env import is_isolated, isolate

perf = time.perf_counter

QUERIES = ("transformer", "再現実験")
SIZE = (120, 40)
WAIT_TIMEOUT = 30.0


# ---------------------------------------------------------------- frame probe


@dataclass
class Waiter:
    check: Callable[[], bool]
    phase: str  # "start": state checked before the frame is composed; "end": after
    end: float | None = None
    frame: int | None = None


class FrameProbe:
    """Records the end time of every composed frame and answers "when was X on screen"."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, float]] = []
        self.waiters: list[Waiter] = []
        self.rows_drawn = 0
        self.md_updates = 0
        self.md_last: Any = None  # the AwaitComplete of the comment view's last update
        self._undo: list[Callable[[], None]] = []

    def install(self) -> None:
        from textual.screen import Screen

        from paper_tui.widgets.paper_list import PaperList

        probe = self
        compositor_refresh = Screen._compositor_refresh
        render_line = PaperList.render_line

        def timed_compositor_refresh(screen: Screen[Any]) -> None:
            if screen is not screen.app.screen:
                compositor_refresh(screen)
                return
            start = perf()
            ready = [w for w in probe.waiters if w.phase == "start" and w.check()]
            compositor_refresh(screen)
            end = perf()
            probe.frames.append((start, end))
            ready += [w for w in probe.waiters if w.phase == "end" and w.check()]
            for w in ready:
                w.end, w.frame = end, len(probe.frames) - 1
            probe.waiters = [w for w in probe.waiters if w.end is None]

        def counting_render_line(self: PaperList, y: int) -> Any:
            if self.scroll_offset.y + y < self.row_count:
                probe.rows_drawn += 1
            return render_line(self, y)

        Screen._compositor_refresh = timed_compositor_refresh  # type: ignore[method-assign,assignment]
        PaperList.render_line = counting_render_line  # type: ignore[method-assign]
        self._undo += [
            lambda: setattr(Screen, "_compositor_refresh", compositor_refresh),
            lambda: setattr(PaperList, "render_line", render_line),
        ]

    def uninstall(self) -> None:
        for undo in self._undo:
            undo()
        self._undo.clear()

    def watch_markdown(self, view: Any) -> None:
        """Count the comment view's updates and keep the last one's completion handle."""
        original = view.update

        def update(markdown: str) -> Any:
            handle = original(markdown)
            self.md_updates += 1
            self.md_last = handle
            return handle

        view.update = update

    def markdown_done_after(self, count: int) -> Callable[[], bool]:
        return lambda: self.md_updates > count and self.md_last is not None and self.md_last.is_done

    def work_between(self, start: float, end: float | None) -> tuple[int, float]:
        """How many frames were composed in [start, end], and their total compose time (ms)."""
        if end is None:
            return 0, 0.0
        inside = [(a, b) for a, b in self.frames if a >= start and b <= end]
        return len(inside), round(sum(b - a for a, b in inside) * 1000, 3)

    def expect(self, check: Callable[[], bool], phase: str = "start") -> Waiter:
        waiter = Waiter(check, phase)
        self.waiters.append(waiter)
        return waiter

    async def wait(self, waiter: Waiter, timeout: float = WAIT_TIMEOUT) -> float | None:
        """The end time of the frame that satisfied `waiter`; None after `timeout`."""
        deadline = perf() + timeout
        while waiter.end is None and perf() < deadline:
            await asyncio.sleep(0.0005)
        if waiter.end is None:
            with contextlib.suppress(ValueError):
                self.waiters.remove(waiter)
        return waiter.end


def _ms(start: float, end: float | None) -> float | None:
    return None if end is None else round((end - start) * 1000, 3)


# ---------------------------------------------------------------- profiling


class Phases:
    """Garbage collections per phase, and optional profiles (pyinstrument, else cProfile)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._active: tuple[str, Any] | None = None
        self._gc: tuple[str, GcWatch] | None = None
        self.gc: dict[str, dict[str, Any]] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> None:
        watch = GcWatch()
        watch.__enter__()
        self._gc = (name, watch)
        if self.folder is None:
            return
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile

            prof: Any = cProfile.Profile()
            prof.enable()
        else:
            prof = Profiler(interval=0.0005, async_mode="disabled")
            prof.start()
        self._active = (name, prof)

    def stop(self) -> None:
        if self._gc is not None:
            name, watch = self._gc
            watch.__exit__()
            self.gc[name] = watch.summary()
            self._gc = None
        if self._active is None or self.folder is None:
            return
        name, prof = self._active
        self._active = None
        if hasattr(prof, "output_text"):
            prof.stop()
            text = prof.output_text(unicode=True, color=False, show_all=False)
        else:
            import io
            import pstats

            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(60)
            text = out.getvalue()
        (self.folder / f"{name}.txt").write_text(text, encoding="utf-8")

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop()


class GcWatch:
    """Every garbage collection while installed: (generation, milliseconds)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = perf()
        else:
            self.pauses.append((info["generation"], (perf() - self._start) * 1000))

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict[str, Any]:
        full = [ms for gen, ms in self.pauses if gen == 2]
        return {
            "collections": len(self.pauses),
            "full_collections": len(full),
            "max_ms": round(max((ms for _, ms in self.pauses), default=0.0), 3),
            "total_ms": round(sum(ms for _, ms in self.pauses), 3),
            "full_total_ms": round(sum(full), 3),
        }


# ---------------------------------------------------------------- the app run


def _null_clipboard() -> Any:
    from paper_tui.clipboard import Clipboard

    def ignore(text: str) -> None:
        return None

    return Clipboard(osc52=ignore, system=ignore, env={})


def _timings(
    probe: FrameProbe, start: float, end: float | None, handler_times: list[float]
) -> dict[str, Any]:
    """A keystroke's or toggle's numbers: to its frame, in our handler, frames composed."""
    frames, compose = probe.work_between(start, end)
    return {
        "frame_ms": _ms(start, end),
        "handler_ms": round(sum(handler_times), 3),
        "frames": frames,
        "compose_ms": compose,
        "pause_ms": _ms(start, perf()),
    }


async def _measure_app(
    store: Any,
    path: Path,
    moves: int,
    queries: tuple[str, ...],
    phases: Phases,
    out: dict[str, Any],
) -> None:
    from textual import events
    from textual.widgets import Input, Markdown, Static

    from paper_tui.app import PaperApp
    from paper_tui.widgets.comment_pane import CommentPane
    from paper_tui.widgets.paper_list import PaperList
    from paper_tui.widgets.tag_filter import TagFilter

    probe = FrameProbe()
    probe.install()
    n = len(store.papers)
    try:
        first = probe.expect(lambda: probe.rows_drawn > 0, phase="end")
        phases.start("first_paint")
        t0 = perf()
        app = PaperApp(store=store, path=path, load_error=None, clipboard=_null_clipboard())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            t_pause = perf()
            phases.stop()
            out["first_paint_s"] = round(t_pause - t0, 4)
            out["first_frame_s"] = None if first.end is None else round(first.end - t0, 4)
            screen = app.main
            status = screen.query_one("#status-line", Static)
            status_text = str(getattr(status.content, "plain", status.content))
            out["status_line"] = status_text
            out["painted_ok"] = f"{n} of {n} papers" in status_text and probe.rows_drawn > 0
            plist = screen.query_one(PaperList)
            pane = screen.query_one(CommentPane)
            markdown_views = pane.query(Markdown)
            if markdown_views:  # the comment is a Markdown widget, updated asynchronously
                probe.watch_markdown(markdown_views.first())
            handler_times: list[float] = []
            original_refresh = screen.refresh_view

            def timed_refresh(keep: str | None = None) -> None:
                start = perf()
                original_refresh(keep)
                handler_times.append((perf() - start) * 1000)

            screen.refresh_view = timed_refresh  # type: ignore[method-assign]
            await pilot.pause()

            # ---- filter keystrokes
            search = screen.query_one("#search", Input)
            screen.set_focus(search)
            await pilot.pause()
            samples: list[dict[str, Any]] = []
            with phases("keystrokes"):
                for query in queries:
                    values = [query[:i] for i in range(1, len(query) + 1)]
                    values += [query[:i] for i in range(len(query) - 1, -1, -1)]
                    for value in values:
                        handler_times.clear()
                        waiter = probe.expect(
                            lambda value=value: (
                                screen.filter.query == value  # type: ignore[misc]
                                and bool(handler_times)
                            )
                        )
                        start = perf()
                        if len(value) > len(search.value):
                            char = value[-1]
                            app.post_message(events.Key(_KEY_NAMES.get(char, char), char))
                        else:
                            app.post_message(events.Key("backspace", None))
                        end = await probe.wait(waiter)
                        await pilot.pause()
                        samples.append(
                            {"value": value, "shown": plist.row_count}
                            | _timings(probe, start, end, handler_times)
                        )
            out["keystrokes"] = samples

            # ---- tag toggles
            tags = [t for t, _ in screen.library.all_tags().most_common(3)]
            toggles: list[dict[str, Any]] = []
            tag_filter = screen.query_one(TagFilter)
            screen.set_focus(tag_filter)
            await pilot.pause()
            with phases("tag_toggles"):
                for tag in [*tags, *reversed(tags)]:
                    want_on = tag not in screen.filter.tags
                    handler_times.clear()
                    waiter = probe.expect(
                        lambda tag=tag, want_on=want_on: (  # type: ignore[misc]
                            (tag in screen.filter.tags) == want_on and bool(handler_times)
                        )
                    )
                    tag_filter.highlighted = tag_filter.get_option_index(tag)
                    await pilot.pause()
                    start = perf()
                    app.post_message(events.Key("space", " "))
                    end = await probe.wait(waiter)
                    await pilot.pause()
                    toggles.append(
                        {"tag": tag, "on": want_on, "shown": plist.row_count}
                        | _timings(probe, start, end, handler_times)
                    )
            out["tags"] = toggles
            screen.refresh_view = original_refresh  # type: ignore[method-assign]
            await pilot.pause()

            # ---- cursor moves
            plist.focus()
            await pilot.pause()
            moves_out: list[dict[str, Any]] = []
            direction = 1
            with phases("cursor"):
                for _ in range(moves if plist.row_count > 1 else 0):
                    row = plist.cursor
                    if not 0 <= row + direction < plist.row_count:
                        direction = -direction
                    target = row + direction
                    key = _key_at(plist, target)
                    list_w = probe.expect(lambda t=target: plist.cursor == t)  # type: ignore[misc]
                    head_w = probe.expect(lambda k=key: screen.selected == k)  # type: ignore[misc]
                    if markdown_views:
                        md_w = probe.expect(probe.markdown_done_after(probe.md_updates))
                    else:  # a synchronous comment view: on screen with the header
                        md_w = probe.expect(lambda k=key: screen.selected == k)  # type: ignore[misc]
                    start = perf()
                    await pilot.press("j" if direction > 0 else "k")
                    list_end = await probe.wait(list_w)
                    head_end = await probe.wait(head_w)
                    md_end = await probe.wait(md_w)
                    await pilot.pause()
                    frames, compose = probe.work_between(start, md_end)
                    moves_out.append(
                        {
                            "frames": frames,
                            "compose_ms": compose,
                            "key": key,
                            "list_ms": _ms(start, list_end),
                            "header_ms": _ms(start, head_end),
                            "comment_ms": _ms(start, md_end),
                            "frames_behind": (
                                None
                                if md_w.frame is None or list_w.frame is None
                                else md_w.frame - list_w.frame
                            ),
                        }
                    )
            out["cursor"] = moves_out

            # ---- saving a comment through the screen
            out["save_app"] = await _save_in_app(screen, pane, pilot, probe, phases)
            screen.wait_for_saves()
            await pilot.pause()
    finally:
        probe.uninstall()


_KEY_NAMES = {" ": "space", "-": "minus", ".": "full_stop"}


def _key_at(plist: Any, row: int) -> str:
    """The key of a row of the list (private fields first: all_keys() is O(n))."""
    try:
        return str(plist._paper_at(plist._slots[row]).key)
    except AttributeError:
        return str(plist.all_keys()[row])


async def _save_in_app(
    screen: Any, pane: Any, pilot: Any, probe: FrameProbe, phases: Phases
) -> Any:
    paper = screen.current_paper()
    if paper is None or screen.readonly_reason:
        return None
    # The event loop's worst delay with nothing to do, as the noise floor.
    idle_lag = 0.0
    stop = perf() + 0.3
    while perf() < stop:
        a = perf()
        await asyncio.sleep(0.002)
        idle_lag = max(idle_lag, perf() - a - 0.002)
    screen.action_edit()
    await pilot.pause()
    pane.editor.load_text(paper.comment + "\n\n追記: benchmark edit, saved once.")
    await pilot.pause()
    with phases("save_in_app"):
        waiter = probe.expect(lambda: screen.editing is None)
        start = perf()
        screen._save_comment()
        ui_ms = _ms(start, perf())
        futures = list(getattr(screen, "_pending", []))
        # The frame that shows the comment saved (editor closed) is the UI's own work;
        # from then until the save is on disk, the event loop should be free.
        frame_end = await probe.wait(waiter)
        lag = 0.0
        while not all(f.done() for f in futures):
            a = perf()
            await asyncio.sleep(0.002)
            lag = max(lag, perf() - a - 0.002)
        done = perf()
    errors = [str(f.exception()) for f in futures if f.exception() is not None]
    return {
        "ui_thread_ms": ui_ms,
        "frame_ms": _ms(start, frame_end),
        "background_done_ms": _ms(start, done),
        "max_loop_stall_ms": round(lag * 1000, 3),
        "idle_loop_stall_ms": round(idle_lag * 1000, 3),
        "errors": errors,
    }


# ---------------------------------------------------------------- main


def measure(
    path: Path,
    moves: int = 50,
    queries: tuple[str, ...] = QUERIES,
    profile: Path | None = None,
) -> dict[str, Any]:
    from paper_tui.model import now_iso
    from paper_tui.search import Library
    from paper_tui.store import Store

    phases = Phases(profile)
    out: dict[str, Any] = {"log": str(path)}
    gc.collect()
    with phases("store_open"):
        t0 = perf()
        store = Store.open(path)
        out["open_s"] = round(perf() - t0, 4)
    out["papers"] = len(store.papers)

    asyncio.run(_measure_app(store, path, moves, queries, phases, out))
    gc.collect()

    with phases("library_build"):
        t0 = perf()
        library = Library(store.papers)
        out["library_s"] = round(perf() - t0, 4)
    del library
    gc.collect()

    updates: list[float] = []
    step = max(1, len(store.papers) // 5)
    with phases("store_update"):
        for i in range(5):
            paper = store.papers[(i * step) % len(store.papers)]
            changed = paper.copy(comment=paper.comment + f" (bench {i})", edited=now_iso())
            t0 = perf()
            store.update(changed)
            updates.append(round((perf() - t0) * 1000, 3))
    out["save_update_ms"] = updates
    out["save_update_median_ms"] = statistics.median(updates)
    store.close()
    out["gc"] = phases.gc
    out["maxrss_self_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--json", type=Path, help="write the results here (default: stdout)")
    parser.add_argument("--moves", type=int, default=50, help="cursor presses (default 50)")
    parser.add_argument("--queries", default=",".join(QUERIES), help="comma-separated queries")
    parser.add_argument("--profile", type=Path, help="write per-phase profiles into this folder")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if not is_isolated():  # run by hand: never read or write the user's settings
            isolate(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        result = measure(
            args.log,
            moves=args.moves,
            queries=tuple(q for q in args.queries.split(",") if q),
            profile=args.profile,
        )
    payload = orjson.dumps(result, option=orjson.OPT_INDENT_2)
    if args.json:
        args.json.write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
