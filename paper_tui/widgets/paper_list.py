"""The paper list: a Line API widget that draws only the rows on screen.

DataTable and OptionList build every row up front (seconds at 100,000 papers);
this widget keeps a list of slot numbers into the `Library` and renders the
visible rows on demand, so a new view of any size costs one assignment.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from ..model import Paper, plain_text
from .rows import RowsView

STATUS_GLYPHS = {"unread": "○", "skimmed": "◐", "read": "●"}


def fit(text: str, width: int) -> str:
    """Cut or pad text to exactly `width` cells, wide (Japanese) characters included."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class PaperList(RowsView):
    """Rows of papers with a cursor; posts `Highlighted` when the cursor moves."""

    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False, priority=True),
        Binding("up,k", "cursor(-1)", "Up", show=False, priority=True),
        Binding("home,g", "first", "First", show=False, priority=True),
        Binding("end,G", "last", "Last", show=False, priority=True),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, priority=True),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, priority=True),
        Binding("space,m", "mark", "Mark", show=False, id="list.mark", priority=True),
        Binding("enter", "open", "Open", show=False, priority=True),
    ]

    COMPONENT_CLASSES = {
        "paper-list--cursor",
        "paper-list--meta",
        "paper-list--tags",
        "paper-list--mark",
        "paper-list--star",
    }
    CURSOR_STYLE = "paper-list--cursor"
    ROW_STYLES = ("paper-list--meta", "paper-list--tags", "paper-list--mark", "paper-list--star")

    DEFAULT_CSS = """
    PaperList {
        background: $surface;
        overflow-x: hidden;
        & > .paper-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .paper-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .paper-list--meta { color: $text-muted; }
        & > .paper-list--tags { color: $text-accent; }
        & > .paper-list--mark { color: $text-success; text-style: bold; }
        & > .paper-list--star { color: $text-warning; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor is on a new paper (or on none, when the view is empty)."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    class Chosen(Message):
        """Enter on a paper: the user wants to work on it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class MarkToggled(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._slots: list[int] = []
        self._paper_at: Callable[[int], Paper] = lambda slot: Paper(key="", title="")
        self.marks: frozenset[str] = frozenset()
        self.empty_text = ""
        """What the first row says when there are no rows (set by the owner)."""
        self._last_key: str | None = None
        self.follow: Callable[[str | None], None] | None = None
        """Called synchronously when the highlighted paper changes.

        The owner's detail pane must be drawn in the same frame as the cursor; a
        message is handled after the list's frame, so it always trails by one.
        """

    # ---------------------------------------------------------------- data

    def set_rows(
        self,
        slots: list[int],
        paper_at: Callable[[int], Paper],
        keep_slot: int | None = None,
    ) -> None:
        """Show a new view; the cursor stays on `keep_slot` when it is still visible."""
        self._slots = slots
        self._paper_at = paper_at
        self.forget_strips()
        self.virtual_size = Size(self.size.width, len(slots))
        row = 0
        if keep_slot is not None:
            try:
                row = slots.index(keep_slot)  # C speed: fine for 100,000 rows
            except ValueError:
                row = 0
        self.cursor = row
        self.refresh()

    def set_marks(self, marks: frozenset[str]) -> None:
        self.marks = marks
        self.forget_strips()
        self.refresh()

    def refresh_rows(self) -> None:
        """Redraw after papers changed in place (same view, new contents)."""
        self.forget_strips()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._slots)

    @property
    def cursor_row(self) -> int | None:
        return self.cursor

    @property
    def current(self) -> Paper | None:
        if 0 <= self.cursor < len(self._slots):
            return self._paper_at(self._slots[self.cursor])
        return None

    def visible_keys(self) -> list[str]:
        """Keys of the rows now on screen (for tests and for the status line)."""
        top = self.scroll_offset.y
        end = min(len(self._slots), top + self.scrollable_content_region.height)
        return [self._paper_at(self._slots[i]).key for i in range(top, end)]

    def all_keys(self) -> list[str]:
        return [self._paper_at(s).key for s in self._slots]

    # ---------------------------------------------------------------- cursor

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._slots) - 1)) if self._slots else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.scroll_to_row(new)
        paper = self.current
        key = paper.key if paper else None
        if key != self._last_key or key is None:
            self._last_key = key
            if self.follow is not None:
                self.follow(key)
            self.post_message(self.Highlighted(key))

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self._slots) - 1

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_mark(self) -> None:
        paper = self.current
        if paper is not None:
            self.post_message(self.MarkToggled(paper.key))

    def action_open(self) -> None:
        paper = self.current
        if paper is not None:
            self.post_message(self.Chosen(paper.key))

    def select_slot(self, slot: int) -> bool:
        try:
            self.cursor = self._slots.index(slot)
        except ValueError:
            return False
        return True

    def on_click(self, event: Click) -> None:
        row = self.row_at(event)
        if row is not None:
            self.cursor = row
            if event.chain == 2:
                self.action_open()

    # ---------------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if row >= len(self._slots):
            if row == 0 and self.empty_text:
                meta = self.row_styles(False)[1]
                text = fit(" " + self.empty_text, width)
                return Strip([Segment(text, meta)]).adjust_cell_length(width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        cursor = row == self.cursor
        paper = self._paper_at(self._slots[row])
        strip = self.strip_for(
            (paper.key, paper.key in self.marks, cursor),
            width,
            lambda: self._render_row(paper, width, cursor),
        )
        return strip.apply_offsets(0, row)

    def _render_row(self, paper: Paper, width: int, cursor: bool) -> Strip:
        base, meta, tag_style, mark_style, star_style = self.row_styles(cursor)

        marked = paper.key in self.marks
        lead = [
            Segment("✓" if marked else " ", mark_style),
            Segment(STATUS_GLYPHS.get(paper.status, " "), meta),
            Segment("★" if paper.starred else " ", star_style),
            Segment(" ", base),
        ]
        year = f" {paper.year}" if paper.year else "     "
        tags = " ".join(f"#{t}" for t in paper.tags)
        room = width - 4 - len(year)
        tag_room = 0
        if width >= 60:
            tag_room = max(0, room // 3)
        title_room = max(0, room - tag_room)
        segments = [
            *lead,
            Segment(fit(plain_text(paper.title), title_room), base),
            Segment(year, meta),
        ]
        if tag_room and tags:
            segments.append(Segment(fit("  " + tags, tag_room), tag_style))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, base)


__all__ = ["PaperList", "fit"]
