"""The main screen: the controller that owns the state.

State: the library (all papers), the filter, the sort, the marks and the
selected key. The visible list is derived from them. Panes post messages up
(highlighted, tag toggled, save requested); this screen changes the state,
redraws what depends on it, and hands changes to the store on a single
background thread, in order, so a save never stalls typing.
"""

from __future__ import annotations

import gc
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import AppFocus
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TextArea

from ..cite import FORMATS as CITE_FORMATS
from ..cite import cite
from ..keys import COMMANDS
from ..model import STATUSES, Paper, normalize_tag, now_iso, parse_tags, plain_text
from ..search import SORTS, Filter, Library
from ..settings import Settings
from ..store import ConflictError, LoadError, Store, StoreError
from ..widgets.comment_pane import CommentPane
from ..widgets.paper_list import PaperList
from ..widgets.search_box import SearchBox
from ..widgets.tag_filter import TagFilter
from ..widgets.typeahead import after_typing
from .dialogs import AddPaperScreen, ChoiceScreen, ConfirmScreen, HelpScreen, TextPrompt

if TYPE_CHECKING:
    from ..app import PaperApp

UNDO_DEPTH = 50
_WHILE_TYPING = frozenset({"back", "save_comment", "editor_external"})
"""What control keys still do while a text box has focus (every letter types)."""
_WHILE_EDITING = _WHILE_TYPING | {"help"}
SAVE_AFTER_FRAME_MAX = 0.2
"""Seconds a save waits at most for the frame that shows the change (see `_submit`)."""
THEIRS_MARK = "---- the version another program saved meanwhile ----"


@dataclass(slots=True)
class UndoStep:
    """What to put back: the papers as they were (None = did not exist), and where."""

    description: str
    before: list[tuple[str, Paper | None, int]]  # (key now, old paper or None, position)
    after_keys: list[str]


class MainScreen(Screen[None]):
    BINDINGS = [
        *[c.binding() for c in COMMANDS if c.keys],
        # Priority, like the command keys (see `keys.Command.binding`); enter only
        # acts here in the search and the list (`check_action`).
        Binding("escape", "back", "Back", show=True, priority=True),
        Binding("enter", "enter", show=False, priority=True),
        Binding("ctrl+s", "save_comment", "Save", show=True, priority=True),
        Binding("ctrl+o", "editor_external", "Editor", show=True, priority=True),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (160, "-wide")]

    def __init__(
        self,
        store: Store | None,
        path: Path,
        load_error: str | None = None,
        *,
        loader: Callable[[], Store] | None = None,
        preview: list[Paper] | None = None,
    ) -> None:
        """`loader` opens a large log on a thread after the first paint, which shows
        `preview` (the first papers of the file) meanwhile; everything that would
        write waits until the whole log is in."""
        super().__init__()
        self.store = store
        self.path = path
        self.load_error = load_error
        self._loader = loader
        self.loading_log = loader is not None
        self.library = Library(preview or []) if loader else Library(store.papers if store else [])
        self.settings: Settings = Settings.load()
        view = self.settings.view_for(path)
        self.sort = view.sort if view.sort in SORTS else "added"
        self.filter = self._remembered_filter()
        self.selected: str | None = view.selected or None
        self.marks: set[str] = set()
        self.editing: str | None = None
        self.editing_original = ""
        self.unsaved: set[str] = set()
        self.failed_keys: set[str] = set()  # written by the save thread: not on disk
        self.undo_stack: list[UndoStep] = []
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paper-tui-save")
        self._pending: list[Future[None]] = []
        self._drawn: list[threading.Event] = []
        self._draft_timer: Any = None
        self._external_noted = False
        self._view_slots: list[int] = []

    def _remembered_filter(self) -> Filter:
        """The filter of the last session, with tags that no longer exist dropped."""
        view = self.settings.view_for(self.path)
        known = self.library.all_tags()
        return Filter(
            query=view.query,
            tags=frozenset(t for t in view.tags if t in known or self.loading_log),
            tag_mode=view.tag_mode if view.tag_mode in ("all", "any") else "all",
            status=view.status if view.status in STATUSES else "",
            starred=view.starred,
        )

    @property
    def papp(self) -> PaperApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        with Horizontal(id="panes"):
            with Vertical(id="list-column"):
                yield SearchBox(placeholder="/ to search", id="search")
                yield PaperList(id="paper-list")
            with Vertical(id="side-column"):
                yield CommentPane(id="comment-pane")
                yield TagFilter(id="tag-filter")
        yield Static(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).value = self.filter.query
        self.query_one("#tag-filter", TagFilter).border_title = "Tags"
        self.query_one("#comment-pane", CommentPane).border_title = "Comment"
        self._update_banner()
        self.query_one(PaperList).follow = self._follow_cursor
        self.query_one(SearchBox).follow = self._follow_search
        self.query_one(TagFilter).follow = self._toggle_tag
        self.refresh_view(keep=self.selected)
        self._focus(self.query_one(PaperList))
        self._show_selected()
        self.set_interval(2.0, self.check_external_change)
        if self.loading_log:
            self.call_after_refresh(self._load_in_background)
        else:
            self._after_load()

    def _after_load(self) -> None:
        """Work that needs the whole log: migration, crash drafts, a frozen heap."""
        gc.freeze()  # the log's objects live as long as the app: keep them out of GC scans
        if self.store is not None:
            if self.store.migrated and not self.store.readonly_reason:
                self._submit(self.store.save_pending_migration, "migration")
            drafts = self.store.load_drafts()
            if drafts:
                self.call_after_refresh(self._offer_drafts, drafts)

    class Loaded(Message):
        """The background load finished (store and library), or failed (error)."""

        def __init__(self, store: Store | None, library: Library | None, error: str | None) -> None:
            super().__init__()
            self.store = store
            self.library = library
            self.error = error

    @work(thread=True, group="load")
    def _load_in_background(self) -> None:
        assert self._loader is not None
        try:
            store = self._loader()
            library = Library(store.papers)
        except StoreError as exc:
            self.post_message(self.Loaded(None, None, str(exc)))
        else:
            self.post_message(self.Loaded(store, library, None))

    @on(Loaded)
    def loaded(self, event: Loaded) -> None:
        self.loading_log = False
        self.store = event.store
        self.load_error = event.error
        self.library = event.library or Library([])
        # The filter as it is now (remembered, or changed while the log loaded),
        # less tags the whole log does not have.
        known = self.library.all_tags()
        self.filter = replace(
            self.filter, tags=frozenset(t for t in self.filter.tags if t in known)
        )
        self._update_banner()
        self.refresh_view(keep=self.selected)
        self._show_selected()
        self._after_load()

    def _update_banner(self) -> None:
        banner = self.query_one("#banner", Static)
        reason = self.load_error or (self.store.readonly_reason if self.store else None)
        text = f"paper-tui · {self.path}"
        if self.loading_log:
            text += "  ·  loading…"
        elif reason:
            text += f"  ·  READ-ONLY: {reason}"
        banner.update(Content(text))
        banner.set_class(bool(reason), "-readonly")

    @property
    def readonly_reason(self) -> str | None:
        if self.loading_log:
            return "the log is still loading"
        if self.store is None:
            return self.load_error or "the log could not be opened"
        return self.store.readonly_reason

    # ------------------------------------------------------------------ the view

    def refresh_view(self, keep: str | None = None) -> None:
        """Recompute the visible list from the state and redraw what depends on it."""
        slots = self.library.view_slots(self.filter, self.sort)
        self._view_slots = slots
        plist = self.query_one(PaperList)
        plist.set_marks(frozenset(self.marks))
        if len(self.library) == 0:
            plist.empty_text = "No papers yet: a adds one; ctrl+p, Import reads a file."
        elif self.filter.query and not (
            self.filter.tags or self.filter.status or self.filter.starred
        ):
            plist.empty_text = "No paper matches the search: escape clears it."
        elif self.filter.query:
            plist.empty_text = "No paper matches the search and filters: escape clears the search."
        else:
            plist.empty_text = "No paper matches the filters: ctrl+p, Clear filters."
        keep_key = keep or self.selected
        plist.set_rows(slots, self.library.paper_at, keep_slot=self.library.slot_of(keep_key))
        self._refresh_tags()
        self._refresh_status()

    def _refresh_tags(self) -> None:
        counts = self.library.tag_counts(self._view_slots)
        self.query_one(TagFilter).show_tags(counts, self.filter.tags, self.library.all_tags())
        mode = "all of" if self.filter.tag_mode == "all" else "any of"
        self.query_one(TagFilter).border_subtitle = mode

    def _refresh_status(self) -> None:
        if self.loading_log:
            parts = [f"first {len(self.library)} papers shown · loading the whole log…"]
        else:
            parts = [f"{len(self._view_slots)} of {len(self.library)} papers"]
        if self.filter.active:
            parts.append(self.filter.describe())
        parts.append(f"sort: {SORTS[self.sort]}")
        if self.marks:
            parts.append(f"{len(self.marks)} marked")
        if self.failed_keys:
            parts.append(f"{len(self.failed_keys)} NOT SAVED")
        elif self.unsaved:
            parts.append("saving…")
        if self.editing:
            parts.append("editing")
        self.query_one("#status-line", Static).update(Content("  ·  ".join(parts)))

    def current_paper(self) -> Paper | None:
        return self.library.get(self.selected) if self.selected else None

    def _show_selected(self) -> None:
        self.query_one(CommentPane).show(self.current_paper())

    def _follow_cursor(self, key: str | None) -> None:
        """The list's synchronous hook: the pane is drawn in the cursor's frame."""
        if self.editing and key != self.editing:
            return
        self.selected = key
        self._show_selected()

    @on(PaperList.Chosen)
    def chosen(self, event: PaperList.Chosen) -> None:
        self.action_edit()

    @on(PaperList.MarkToggled)
    def mark_toggled(self, event: PaperList.MarkToggled) -> None:
        self.marks ^= {event.key}
        self.query_one(PaperList).set_marks(frozenset(self.marks))
        self.query_one(PaperList).action_cursor(1)
        self._refresh_status()

    @on(TagFilter.Toggled)
    def tag_toggled(self, event: TagFilter.Toggled) -> None:
        self._toggle_tag(event.tag)

    def _toggle_tag(self, tag: str) -> None:
        """The tag filter's synchronous hook: the list changes in the toggle's frame."""
        self.filter = replace(self.filter, tags=self.filter.tags ^ {tag})
        self.refresh_view()

    @on(TagFilter.ModeToggled)
    def tag_mode_toggled(self) -> None:
        self.action_toggle_tag_mode()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self._follow_search(event.value)  # (already done by the hook, unless unhooked)

    def _follow_search(self, query: str) -> None:
        """The search box's synchronous hook: the list changes in the keystroke's frame."""
        if query != self.filter.query:
            self.filter = replace(self.filter, query=query)
            self.refresh_view()

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self._focus(self.query_one(PaperList))

    # ------------------------------------------------------------------ moving around

    def _focus(self, widget: Widget) -> None:
        """Focus `widget` now, not after the queued events (`Widget.focus` defers it).

        Keys typed right after a key that moves the focus (`/distill` in one burst,
        as fast typists, pastes and tmux send them) must reach the new focus, not
        run the list's one-letter commands. The app takes those keys as priority
        bindings, in the order they arrive, and the focus moves before the next.
        """
        self.set_focus(widget)

    def action_search(self) -> None:
        self._focus(self.query_one("#search", Input))

    def action_focus_tags(self) -> None:
        self._focus(self.query_one(TagFilter))

    def action_enter(self) -> None:
        """Enter in the search keeps it and returns to the list; in the list, edits."""
        if self.focused is not None and self.focused.id == "search":
            after_typing(self.app.focused, lambda: self._focus(self.query_one(PaperList)))
        else:
            self.action_edit()

    def action_back(self) -> None:
        after_typing(self.app.focused, self._back)

    def _back(self) -> None:
        focused = self.focused
        if self.editing:
            self._leave_editor()
        elif focused is not None and focused.id == "search":
            search = self.query_one("#search", Input)
            search.value = ""
            self._focus(self.query_one(PaperList))
        elif isinstance(focused, TagFilter):
            self._focus(self.query_one(PaperList))
        elif self.marks:
            self.action_clear_marks()
        elif self.filter.query:
            self.query_one("#search", Input).value = ""

    def action_clear_filters(self) -> None:
        self.filter = Filter(tag_mode=self.filter.tag_mode)
        self.query_one("#search", Input).value = ""
        self.refresh_view()

    def action_toggle_tag_mode(self) -> None:
        mode = "any" if self.filter.tag_mode == "all" else "all"
        self.filter = replace(self.filter, tag_mode=mode)
        self.refresh_view()
        self.notify(f"Tag filter: papers with {mode} of the chosen tags")

    def action_cycle_status_filter(self) -> None:
        order = ["", *STATUSES]
        status = order[(order.index(self.filter.status) + 1) % len(order)]
        self.filter = replace(self.filter, status=status)
        self.refresh_view()
        self.notify(f"Showing {status or 'all'} papers")

    def action_toggle_starred_filter(self) -> None:
        self.filter = replace(self.filter, starred=not self.filter.starred)
        self.refresh_view()

    def action_cycle_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self.refresh_view()
        self.notify(f"Sorted by {SORTS[self.sort]}")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_toggle_mark(self) -> None:
        self.query_one(PaperList).action_mark()

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self.query_one(PaperList).set_marks(frozenset())
        self._refresh_status()

    def jump_to(self, key: str) -> None:
        """Select a paper by key, clearing filters if they hide it (palette jump)."""
        plist = self.query_one(PaperList)
        slot = self.library.slot_of(key)
        if slot is None:
            return
        if not plist.select_slot(slot):
            self.action_clear_filters()
            plist.select_slot(slot)
        self._focus(plist)

    # ------------------------------------------------------------------ persistence

    class SaveDone(Message):
        """A store change finished on the save thread (posted thread-safely)."""

        def __init__(self, keys: tuple[str, ...], error: StoreError | None) -> None:
            super().__init__()
            self.keys = keys
            self.error = error

    def _submit(self, job: Callable[[], None], what: str, keys: tuple[str, ...] = ()) -> None:
        """Run a store change on the save thread; the outcome comes back as a message.

        A message, not `call_from_thread`: that blocks the save thread until the UI
        runs the callback, which deadlocks when the UI is waiting for saves (quit).
        """

        # The save thread waits for the frame that shows the change (at most
        # `SAVE_AFTER_FRAME_MAX` s): serialising the log holds the GIL for long
        # stretches, and drawing that frame alongside it took twice as long (the
        # editor closing took 45 ms to appear at 100,000 papers instead of 25).
        drawn = threading.Event()
        self._drawn.append(drawn)
        self.call_after_refresh(drawn.set)

        def run() -> None:
            drawn.wait(SAVE_AFTER_FRAME_MAX)
            error: StoreError | None = None
            try:
                job()
            except StoreError as exc:
                error = exc
                self.failed_keys.update(keys)
            else:
                self.failed_keys.difference_update(keys)
            self.post_message(self.SaveDone(keys, error))

        self.unsaved |= set(keys)
        self._refresh_status()
        future = self._saver.submit(run)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        self._drawn = [d for d in self._drawn if not d.is_set()]

    @on(SaveDone)
    def save_done(self, event: SaveDone) -> None:
        if isinstance(event.error, ConflictError):
            self._save_conflict(str(event.error), event.keys)
        elif event.error is not None:
            self._save_failed(str(event.error), event.keys)
        else:
            self._saved(event.keys)

    def wait_for_saves(self) -> None:
        """Block until queued saves reached the disk (quit, tests)."""
        for drawn in self._drawn:
            drawn.set()  # no frame to wait for: write now
        self._drawn = [d for d in self._drawn if not d.is_set()]
        for future in list(self._pending):
            future.result()

    def _saved(self, keys: tuple[str, ...]) -> None:
        self.unsaved -= set(keys)
        self._refresh_status()

    def _save_failed(self, message: str, keys: tuple[str, ...]) -> None:
        self._refresh_status()
        self.notify(
            f"{message} Your change is kept in the app; it is not on disk.",
            title="Not saved",
            severity="error",
            timeout=10,
        )

    def _save_conflict(self, message: str, keys: tuple[str, ...]) -> None:
        """Someone else wrote the file: reload theirs, keep ours to re-apply."""
        mine = {k: self.library.get(k) for k in keys}
        started_from = self.editing_original
        self.reload(quiet=True)
        comment_key = next((k for k in keys if mine.get(k) is not None), None)
        self.unsaved.clear()
        advice = "your text is still in the editor: ctrl+s saves it over the new version."
        if comment_key and comment_key in self.library:
            paper = mine[comment_key]
            assert paper is not None
            theirs = self.library.get(comment_key).comment  # type: ignore[union-attr]
            text = paper.comment
            if theirs not in (started_from, text):
                # The other program changed this very comment: keep both in the editor.
                text = f"{text}\n\n{THEIRS_MARK}\n{theirs}"
                advice = (
                    f"it had changed the comment of {comment_key} too: the editor holds your "
                    "text and, below a marked line, theirs. Keep what you want, then ctrl+s."
                )
            self.jump_to(comment_key)
            self.editing_original = theirs
            self._start_editor(comment_key, text)
        self.notify(
            f"{message} It was reloaded; {advice}",
            title="Changed on disk",
            severity="warning",
            timeout=12,
        )

    def _refuse_readonly(self) -> bool:
        reason = self.readonly_reason
        if reason:
            self.notify(f"Read-only: {reason}.", severity="warning")
            return True
        return False

    def _change(self, description: str, new: list[tuple[Paper, str]]) -> None:
        """Apply edits to papers (new version, old key): screen, undo, disk."""
        before = []
        for paper, old_key in new:
            old = self.library.get(old_key)
            before.append((paper.key, old, 0))
            self.library.replace(paper, old_key)
        self._push_undo(UndoStep(description, before, [p.key for p, _ in new]))
        store = self.store
        assert store is not None
        self._submit(lambda: store.update_many(new), description, tuple(p.key for p, _ in new))
        self.refresh_view(keep=self.selected)
        self._show_selected()

    def _push_undo(self, step: UndoStep) -> None:
        self.undo_stack.append(step)
        del self.undo_stack[:-UNDO_DEPTH]

    def check_external_change(self) -> None:
        """Pick up changes made by other programs while we are idle."""
        store = self.store
        if store is None or not store.changed_on_disk():
            self._external_noted = False
            return
        if self.editing or self.unsaved or self._pending_saves():
            if not self._external_noted:
                self._external_noted = True
                self.notify(
                    "The log changed on disk. It will be reloaded when you finish editing.",
                    severity="warning",
                )
            return
        self.reload(quiet=False)

    def _pending_saves(self) -> bool:
        return any(not f.done() for f in self._pending)

    @on(AppFocus)
    def app_focus(self) -> None:
        self.check_external_change()

    def reload(self, quiet: bool = False) -> None:
        """Read the file again (keeping the filter and the selection)."""
        old = self.store
        self.wait_for_saves()
        if old is not None:
            old.close()
        try:
            self.store = Store.open(
                self.path, readonly=bool(old and old.readonly_reason == "opened read-only")
            )
            self.load_error = None
        except LoadError as exc:
            self.store = None
            self.load_error = str(exc)
            self.notify(str(exc), title="Could not reload", severity="error", timeout=10)
        self.library = Library(self.store.papers if self.store else [])
        self.filter = replace(
            self.filter, tags=frozenset(t for t in self.filter.tags if t in self.library.all_tags())
        )
        self.marks &= self.library.keys()
        self.undo_stack.clear()
        self._update_banner()
        self.refresh_view(keep=self.selected)
        self._show_selected()
        if not quiet and self.store is not None:
            self.notify(f"Reloaded {self.path.name}: it changed on disk.")

    def action_reload(self) -> None:
        if self.editing or self.unsaved:
            self.notify("Finish or leave the editor first.", severity="warning")
            return
        self.reload(quiet=True)
        self.notify("Reloaded.")

    # ------------------------------------------------------------------ editing the comment

    def action_edit(self) -> None:
        paper = self.current_paper()
        if paper is None or self.editing:
            return
        if self._refuse_readonly():
            return
        self.editing_original = paper.comment
        self._start_editor(paper.key, paper.comment)

    def _start_editor(self, key: str, text: str) -> None:
        self.editing = key
        # On the side column, not the screen: a class change restyles the subtree,
        # and the whole screen's took 15 ms of a save at 100,000 papers.
        self.query_one("#side-column").add_class("-editing")
        self.query_one(CommentPane).start_editing(text)
        self._refresh_status()

    @on(TextArea.Changed, "#comment-editor")
    def editor_changed(self, event: TextArea.Changed) -> None:
        """Keep a draft beside the log while typing, so a crash loses nothing."""
        if not self.editing or self.store is None:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(0.8, self._write_draft)

    def _write_draft(self) -> None:
        if self.editing and self.store is not None:
            store, key = self.store, self.editing
            text = self.query_one(CommentPane).editor.text
            self._saver.submit(store.save_draft, key, text)

    def _editor_text(self) -> str:
        return self.query_one(CommentPane).editor.text

    def action_save_comment(self) -> None:
        after_typing(self.app.focused, self._save_comment)

    def _save_comment(self) -> None:
        if not self.editing:
            focused = self.app.focused
            if focused is not None and focused.id == "search":
                self._focus(self.query_one(PaperList))
            return
        key = self.editing
        text = self._editor_text()
        paper = self.library.get(key)
        self._close_editor()
        if paper is None:
            return
        if text == paper.comment and key not in self.failed_keys:
            self.notify("No changes to save.")
            self._drop_draft(key)
            return
        self._change("edit comment", [(paper.copy(comment=text, edited=now_iso()), key)])
        self._drop_draft(key)
        self.notify(f"Saved the comment of {key}.")

    def _drop_draft(self, key: str) -> None:
        if self.store is not None:
            self._saver.submit(self.store.save_draft, key, None)

    def _close_editor(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self.editing = None
        self.query_one("#side-column").remove_class("-editing")
        self.query_one(CommentPane).stop_editing()
        self._focus(self.query_one(PaperList))
        self._show_selected()
        self._refresh_status()

    def _leave_editor(self) -> None:
        key = self.editing
        if key is None:
            return
        text = self._editor_text()
        paper = self.library.get(key)
        if paper is None or text == paper.comment:
            self._close_editor()
            if key:
                self._drop_draft(key)
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self._save_comment()
            elif choice == "discard":
                self._close_editor()
                self._drop_draft(key)
                self.notify("Changes discarded.")
            else:
                self._focus(self.query_one(CommentPane).editor)

        self.app.push_screen(
            ChoiceScreen(
                "The comment has unsaved changes.",
                [("save", "Save"), ("discard", "Discard changes"), ("keep", "Keep editing")],
            ),
            answer,
        )

    def action_editor_external(self) -> None:
        self.action_edit_external()

    def action_edit_external(self) -> None:
        """Edit in $EDITOR through the terminal's suspend; saved like an in-place edit."""
        paper = self.current_paper()
        if paper is None or self._refuse_readonly():
            return
        text = self._editor_text() if self.editing else paper.comment
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
            fh.write(text)
            name = fh.name
        try:
            with self.app.suspend():
                result = subprocess.run([*editor.split(), name], check=False)
            new_text = Path(name).read_text(encoding="utf-8")
            if new_text.endswith("\n") and not text.endswith("\n"):
                new_text = new_text[:-1]  # editors add a final newline; the note had none
        except Exception as exc:
            self.notify(f"Could not run {editor}: {exc}", severity="error")
            return
        finally:
            Path(name).unlink(missing_ok=True)
        if result.returncode != 0:
            self.notify(
                f"{editor} exited with {result.returncode}; nothing saved.", severity="warning"
            )
            return
        if not self.editing:
            self.editing_original = paper.comment
            self._start_editor(paper.key, new_text)
        else:
            self.query_one(CommentPane).editor.load_text(new_text)
        self._save_comment()

    async def _offer_drafts(self, drafts: dict[str, str]) -> None:
        for key, text in drafts.items():
            paper = self.library.get(key)
            if paper is None or text == paper.comment:
                self._drop_draft(key)
                continue

            def answer(restore: bool | None, key: str = key, text: str = text) -> None:
                if restore:
                    self.jump_to(key)
                    self.editing_original = self.library.get(key).comment  # type: ignore[union-attr]
                    self._start_editor(key, text)
                    self.notify("Draft restored: ctrl+s saves it, escape discards it.")
                else:
                    self._drop_draft(key)

            self.app.push_screen(
                ConfirmScreen(
                    f"An unsaved comment for {key} was left by a crash. Restore it?",
                    text[:400],
                ),
                answer,
            )
            break

    # ------------------------------------------------------------------ paper fields

    def action_edit_tags(self) -> None:
        paper = self.current_paper()
        if paper is None or self._refuse_readonly():
            return

        def done(value: str | None) -> None:
            if value is None:
                return
            tags = parse_tags(value)
            if tags != paper.tags:
                self._change("edit tags", [(paper.copy(tags=tags, edited=now_iso()), paper.key)])

        self.app.push_screen(
            TextPrompt(
                f"Tags of {paper.key}",
                "".join(f"{tag} " for tag in paper.tags),  # typing adds a tag after them
                hint="space-separated; tab completes a known tag    enter: save    escape: cancel",
                completions=self.library.all_tags(),
                select=False,
            ),
            done,
        )

    def action_cycle_status(self) -> None:
        paper = self.current_paper()
        if paper is None or self._refuse_readonly():
            return
        status = (
            STATUSES[(STATUSES.index(paper.status) + 1) % len(STATUSES)]
            if paper.status in STATUSES
            else STATUSES[0]
        )
        self._change("status", [(paper.copy(status=status, edited=now_iso()), paper.key)])
        self.notify(f"{paper.key}: {status}")

    def action_toggle_star(self) -> None:
        paper = self.current_paper()
        if paper is None or self._refuse_readonly():
            return
        self._change("star", [(paper.copy(starred=not paper.starred, edited=now_iso()), paper.key)])
        self.notify(f"{'Starred' if not paper.starred else 'Unstarred'} {paper.key}.")

    def action_rename_tag(self) -> None:
        if self._refuse_readonly():
            return

        def got_old(old: str | None) -> None:
            if not old:
                return
            old_tag = normalize_tag(old)
            if old_tag not in self.library.all_tags():
                self.notify(f"No paper has the tag {old_tag!r}.", severity="warning")
                return

            def got_new(new: str | None) -> None:
                new_tag = normalize_tag(new or "")
                if not new_tag or new_tag == old_tag:
                    return
                changed = []
                for p in self.library.view(Filter(tags=frozenset({old_tag}))):
                    tags = [new_tag if t == old_tag else t for t in p.tags]
                    changed.append(
                        (p.copy(tags=list(dict.fromkeys(tags)), edited=now_iso()), p.key)
                    )
                self.filter = replace(self.filter, tags=self.filter.tags - {old_tag})
                self._change(f"rename tag {old_tag}", changed)
                self.notify(f"Renamed #{old_tag} to #{new_tag} on {len(changed)} papers.")

            self.app.push_screen(
                TextPrompt(
                    f"Rename #{old_tag} to (an existing tag merges)",
                    old_tag,
                    completions=self.library.all_tags(),
                ),
                got_new,
            )

        self.app.push_screen(
            TextPrompt("Tag to rename", completions=self.library.all_tags()), got_old
        )

    def action_open_paper(self) -> None:
        paper = self.current_paper()
        if paper is None:
            return
        link = paper.link
        if not link:
            self.notify("This paper has no link.", severity="warning")
            return
        import webbrowser

        try:
            opened = bool(
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            ) and webbrowser.open(link)
        except Exception:
            opened = False
        if opened:
            self.notify(f"Opened {link}")
        else:
            result = self.papp.clipboard_tool.copy(link)
            how = "copied" if result.ok else "could not copy it"
            self.notify(f"No browser here: {link} ({how})", timeout=10)

    # ------------------------------------------------------------------ add, delete, undo

    def action_add(self) -> None:
        if self._refuse_readonly():
            return

        def done(result: dict[str, Any] | None) -> None:
            if not result:
                return
            if "identifier" in result:
                self.add_identifier(result["identifier"], result["tags"], result["comment"])
                return
            paper: Paper = result["paper"]
            from ..importer import find_duplicate

            dup = find_duplicate(self.library.papers(), paper)
            if dup is not None:
                self.jump_to(dup.key)
                self.notify(f"Already in the log as {dup.key}; selected it.", severity="warning")
                return
            self._add_new(paper)

        self.app.push_screen(AddPaperScreen(self.library.keys(), self.library.all_tags()), done)

    def _add_new(self, paper: Paper, message: str = "") -> None:
        self.library.add(paper)
        self._push_undo(UndoStep("add", [(paper.key, None, 0)], [paper.key]))
        store = self.store
        assert store is not None
        self._submit(lambda: store.add(paper), "add", (paper.key,))
        self.refresh_view(keep=paper.key)
        self.jump_to(paper.key)
        self.notify(message or f"Added {paper.key}.", timeout=8 if message else 3)

    def add_identifier(self, ident: Any, tags: list[str], comment: str) -> None:
        """Add by arXiv id or DOI: an existing paper is selected, else fetch in the background."""
        from ..fetch import find_by_identifier

        found = find_by_identifier(self.library.papers(), ident)
        if found is not None:
            self.jump_to(found.key)
            self.notify(f"{ident.label} is already in the log as {found.key}; selected it.")
            return
        self.query_one(PaperList).loading = True
        self.notify(f"Fetching {ident.label}…")
        self._fetch_worker(ident, parse_tags(" ".join(tags)), comment)

    @work(thread=True, group="fetch")
    def _fetch_worker(self, ident: Any, tags: list[str], comment: str) -> None:
        from ..fetch import Endpoints, Fetcher, FetchError, add_by_identifier

        try:
            outcome = add_by_identifier(
                ident,
                self.library.papers(),
                Fetcher(Endpoints.from_env()),
                tags=tags,
                comment=comment,
            )
        except (FetchError, ValueError) as exc:
            self.app.call_from_thread(self._fetch_failed, f"{ident.label}: {exc}")
            return
        self.app.call_from_thread(self._fetched, outcome)

    def _fetch_failed(self, message: str) -> None:
        self.query_one(PaperList).loading = False
        self.notify(message, title="Not added", severity="error", timeout=10)

    def _fetched(self, outcome: Any) -> None:
        self.query_one(PaperList).loading = False
        if outcome.existing or outcome.paper.key in self.library:
            self.jump_to(outcome.paper.key)
            self.notify(f"Already in the log as {outcome.paper.key}; selected it.")
            return
        self._add_new(outcome.paper, outcome.message)

    def action_refresh_pending(self) -> None:
        from ..fetch import is_pending

        if self._refuse_readonly():
            return
        pending = [p for p in self.library.papers() if is_pending(p)]
        if not pending:
            self.notify("No papers are waiting for metadata.")
            return
        self.query_one(PaperList).loading = True
        self.notify(f"Fetching metadata for {len(pending)} papers…")
        self._refresh_worker(pending)

    @work(thread=True, group="fetch")
    def _refresh_worker(self, pending: list[Paper]) -> None:
        from ..fetch import Endpoints, Fetcher, refresh_pending

        try:
            updated, problems = refresh_pending(pending, Fetcher(Endpoints.from_env()))
        except ValueError as exc:
            self.app.call_from_thread(self._fetch_failed, str(exc))
            return
        self.app.call_from_thread(self._refreshed, updated, problems)

    def _refreshed(self, updated: list[tuple[Paper, str]], problems: list[str]) -> None:
        self.query_one(PaperList).loading = False
        current = [(p, k) for p, k in updated if k in self.library]
        if current:
            self._change("fetch metadata", current)
        extra = f"; still pending: {problems[0]}" if problems else ""
        self.notify(f"Filled {len(current)} pending papers{extra}.", timeout=10)

    def action_delete(self) -> None:
        if self._refuse_readonly():
            return
        keys = (
            [k for k in self.query_one(PaperList).all_keys() if k in self.marks]
            if self.marks
            else []
        )
        if not keys:
            paper = self.current_paper()
            if paper is None:
                return
            keys = [paper.key]
        label = keys[0] if len(keys) == 1 else f"{len(keys)} marked papers"

        def done(yes: bool | None) -> None:
            if not yes:
                return
            before = []
            for key in keys:
                before.append((key, self.library.get(key), self.library.position(key)))
            for key in keys:
                self.library.remove(key)
            self.marks -= set(keys)
            self._push_undo(UndoStep(f"delete {label}", before, []))
            store = self.store
            assert store is not None
            self._submit(lambda: store.delete_many(keys), "delete", tuple(keys))
            self.refresh_view()
            self.notify(f"Deleted {label}. u undoes it.")

        title = plain_text(self.library.get(keys[0]).title) if len(keys) == 1 else ""  # type: ignore[union-attr]
        self.app.push_screen(ConfirmScreen(f"Delete {label}?", title), done)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo.")
            return
        if self._refuse_readonly():
            return
        step = self.undo_stack.pop()
        store = self.store
        assert store is not None
        restore_order = False
        updates: list[tuple[Paper, str]] = []
        removals: list[str] = []
        # Deleted papers go back lowest position first, so each lands where it was.
        for key, old, position in sorted(step.before, key=lambda item: item[2]):
            if old is None:  # undo an add
                if key in self.library:
                    self.library.remove(key)
                    removals.append(key)
            elif key in self.library:  # undo an edit
                self.library.replace(old, key)
                updates.append((old, key))
            else:  # undo a delete
                self.library.insert_at(position, old)
                restore_order = True
        papers = self.library.papers()

        def job() -> None:
            with store.batch():
                if restore_order:
                    store.reorder(papers)
                else:
                    if updates:
                        store.update_many(updates)
                    if removals:
                        store.delete_many(removals)

        self._submit(job, "undo", tuple(k for k, _, _ in step.before))
        first = step.before[0][1] if step.before else None
        self.refresh_view(keep=first.key if first else self.selected)
        self._show_selected()
        self.notify(f"Undid: {step.description}.")

    # ------------------------------------------------------------------ citations

    def _cite_targets(self) -> list[Paper]:
        if self.marks:
            return [
                self.library.paper_at(s)
                for s in self._view_slots
                if self.library.paper_at(s).key in self.marks
            ] or [p for k in sorted(self.marks) if (p := self.library.get(k))]
        paper = self.current_paper()
        return [paper] if paper else []

    def copy_citations(self, papers: list[Paper], fmt: str) -> None:
        if not papers:
            self.notify("No paper to cite.", severity="warning")
            return
        text = cite(papers, fmt)
        result = self.papp.clipboard_tool.copy(text)
        what = papers[0].key if len(papers) == 1 else f"{len(papers)} papers"
        if result.ok:
            self.notify(f"Copied {CITE_FORMATS[fmt]} of {what}: {result.message}.")
        else:
            self.notify(f"Could not copy: {result.message}.", severity="error", timeout=10)

    def action_cite(self) -> None:
        self.copy_citations(
            self._cite_targets(),
            self.settings.cite_format if self.settings.cite_format in CITE_FORMATS else "bibtex",
        )

    def action_cite_as(self) -> None:
        def done(fmt: str | None) -> None:
            if fmt:
                self.settings.cite_format = fmt
                self.settings.save()
                self.copy_citations(self._cite_targets(), fmt)

        self.app.push_screen(
            ChoiceScreen(
                "Copy the citation as",
                list(CITE_FORMATS.items()),
                highlight=self.settings.cite_format,
            ),
            done,
        )

    def action_cite_view(self) -> None:
        papers = [self.library.paper_at(s) for s in self._view_slots]
        self.copy_citations(
            papers,
            self.settings.cite_format if self.settings.cite_format in CITE_FORMATS else "bibtex",
        )

    # ------------------------------------------------------------------ import / export

    def action_import_file(self) -> None:
        if self._refuse_readonly():
            return

        def got(path: str | None) -> None:
            if path:
                self.query_one(PaperList).loading = True  # progress for large files
                self.run_import(Path(path).expanduser())

        self.app.push_screen(
            TextPrompt(
                "Import papers from (a .txt log, .md or .bib file)", placeholder="path/to/file.bib"
            ),
            got,
        )

    @work(thread=True, exclusive=True, group="import")
    def run_import(self, path: Path) -> None:
        from ..formats import FormatError, read_file
        from ..importer import plan_import

        self.app.call_from_thread(self.notify, f"Importing {path.name}…")
        try:
            parsed = read_file(path)
        except FormatError as exc:
            self.app.call_from_thread(setattr, self.query_one(PaperList), "loading", False)
            self.app.call_from_thread(
                self.notify, str(exc), title="Import failed", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(
            self._apply_import, parsed, plan_import(self.library.papers(), parsed.papers)
        )

    def _apply_import(self, parsed: Any, plan: Any) -> None:
        self.query_one(PaperList).loading = False
        store = self.store
        assert store is not None
        for _old, new in plan.merged:
            self.library.replace(new, _old.key)
        for paper in plan.added:
            self.library.add(paper)
        merged = [(new, old.key) for old, new in plan.merged]
        added = list(plan.added)

        def job() -> None:
            with store.batch():
                if merged:
                    store.update_many(merged)
                if added:
                    store.add_many(added)

        self._submit(job, "import", tuple(p.key for p in added))
        self.undo_stack.clear()
        self.refresh_view()
        problems = len(parsed.problems) + len(plan.problems)
        extra = f" ({problems} problems: see `paper-tui import --dry-run`)" if problems else ""
        self.notify(f"Import: {plan.summary()}{extra}.", timeout=10)

    def action_export_file(self) -> None:
        def got(value: str | None) -> None:
            if not value:
                return
            path = Path(value).expanduser()
            fmt = {".md": "markdown", ".bib": "bibtex", ".json": "json", ".txt": "text"}.get(
                path.suffix.lower()
            )
            if fmt is None:
                self.notify("Name a .md, .bib, .json or .txt file.", severity="warning")
                return
            from ..formats import export
            from ..store import write_atomic

            papers = [self.library.paper_at(s) for s in self._view_slots]
            try:
                write_atomic(path, export(papers, fmt).encode("utf-8"))
            except StoreError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Exported {len(papers)} papers to {path}.")

        self.app.push_screen(
            TextPrompt(
                "Export the current view to (.md, .bib, .json, .txt)", placeholder="reading-log.md"
            ),
            got,
        )

    # ------------------------------------------------------------------ leaving

    def remember_view(self) -> None:
        view = self.settings.view_for(self.path)
        view.sort = self.sort
        view.query = self.filter.query
        view.tags = sorted(self.filter.tags)
        view.tag_mode = self.filter.tag_mode
        view.status = self.filter.status
        view.starred = self.filter.starred
        view.selected = self.selected or ""
        self.settings.theme = self.app.theme
        self.settings.save()

    def action_quit_app(self) -> None:
        if (
            self.editing
            and self._editor_text() != (self.library.get(self.editing) or Paper("", "x")).comment
        ):

            def answer(choice: str | None) -> None:
                if choice == "save":
                    self._save_comment()
                    self.shutdown()
                elif choice == "discard":
                    key = self.editing
                    self._close_editor()
                    if key:
                        self._drop_draft(key)
                    self.shutdown()

            self.app.push_screen(
                ChoiceScreen(
                    "Quit with an unsaved comment?",
                    [
                        ("save", "Save and quit"),
                        ("discard", "Discard and quit"),
                        ("keep", "Keep editing"),
                    ],
                ),
                answer,
            )
            return
        self.shutdown()

    def shutdown(self) -> None:
        self.wait_for_saves()
        if self.failed_keys:

            def answer(yes: bool | None) -> None:
                if yes:
                    self.failed_keys.clear()
                    self.shutdown()

            self.app.push_screen(
                ConfirmScreen("Some changes could not be saved. Quit anyway and lose them?"), answer
            )
            return
        self.remember_view()
        self._saver.shutdown(wait=True)
        if self.store is not None:
            self.store.close()
        self.app.exit()

    # ------------------------------------------------------------------ key rules

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Single letters act on the paper only while no text box has focus."""
        focused = self.app.focused
        typing = isinstance(focused, Input) or (
            focused is not None and focused.id == "comment-editor"
        )
        if action == "enter":  # elsewhere enter is the focused widget's (tags, dialogs)
            return focused is not None and (
                focused.id == "search" or (isinstance(focused, PaperList) and not typing)
            )
        if action == "save_comment":  # only shown (in the footer) while it saves something
            return bool(self.editing)
        if action == "add" and isinstance(focused, TagFilter):
            return False  # `a` there switches all-of / any-of
        if action == "editor_external":  # ctrl+o: only inside the comment editor
            return bool(self.editing)
        allowed = _WHILE_TYPING if typing else _WHILE_EDITING if self.editing else None
        return allowed is None or action in allowed
