"""The tag filter: every tag with its count in the current view; toggling narrows the list.

A Line API widget that draws only the rows on screen, like the paper list.
Textual's OptionList measured every option's wrapped height each time its
options were set: 5 to 9 ms for 200 tags on every search keystroke, a fifth of
the 50 ms a keystroke may take at 100,000 papers. Here an update replaces a
tuple of rows, and a frame draws the dozen that are visible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from textual.binding import Binding
from textual.content import Content
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from .paper_list import fit
from .rows import RowsView


@dataclass(frozen=True, slots=True)
class TagRow:
    """One row of the filter: a tag, its count in the view, and whether it is chosen."""

    id: str
    count: int
    on: bool

    @property
    def prompt(self) -> Content:
        """The row as plain text with styles (what a test or a screen reader reads)."""
        return Content.assemble(
            ("☑ " if self.on else "☐ ", "$text-success" if self.on else "$text-muted"),
            (self.id, "bold" if self.on else ""),
            (f" {self.count}", "$text-muted"),
        )


class TagFilter(RowsView):
    """Tags with their counts; `space`/`enter` or a click toggles one."""

    BINDINGS = [
        Binding("space,enter", "select", "Toggle tag", show=True, priority=True),
        Binding("a", "toggle_mode", "All/any", show=True, priority=True),
        Binding("down,j", "cursor(1)", show=False, priority=True),
        Binding("up,k", "cursor(-1)", show=False, priority=True),
        Binding("home,g", "first", show=False, priority=True),
        Binding("end,G", "last", show=False, priority=True),
        Binding("pagedown", "page(1)", show=False, priority=True),
        Binding("pageup", "page(-1)", show=False, priority=True),
    ]

    COMPONENT_CLASSES = {
        "tag-filter--cursor",
        "tag-filter--on",
        "tag-filter--off",
        "tag-filter--tag-on",
        "tag-filter--count",
    }
    CURSOR_STYLE = "tag-filter--cursor"
    ROW_STYLES = ("tag-filter--on", "tag-filter--off", "tag-filter--tag-on", "tag-filter--count")
    MAX_STRIPS = 200

    DEFAULT_CSS = """
    TagFilter {
        background: $surface;
        overflow-x: hidden;
        & > .tag-filter--cursor { background: $block-cursor-blurred-background; }
        &:focus > .tag-filter--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .tag-filter--on { color: $text-success; text-style: bold; }
        & > .tag-filter--tag-on { text-style: bold; }
        & > .tag-filter--off { color: $text-muted; }
        & > .tag-filter--count { color: $text-muted; }
    }
    """

    class ModeToggled(Message):
        """The user wants papers with any of the tags instead of all (or back)."""

    class Toggled(Message):
        def __init__(self, tag: str) -> None:
            super().__init__()
            self.tag = tag

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: tuple[TagRow, ...] = ()
        self._highlighted: int | None = None
        self.follow: Callable[[str], None] | None = None
        """Called synchronously with a toggled tag (else a `Toggled` message is
        sent): the list narrows in the same frame as the toggle, no message hops."""

    # ---------------------------------------------------------------- data

    def show_tags(
        self, counts: Counter[str], selected: frozenset[str], totals: Counter[str]
    ) -> None:
        """Selected tags first, then by count in the view, then by name."""
        names = set(totals) | set(selected)
        order = sorted(names, key=lambda t: (t not in selected, -counts.get(t, 0), t))
        rows = tuple(TagRow(t, counts.get(t, 0), t in selected) for t in order)
        if rows == self._rows:
            return
        # Follow the highlighted tag only while the user is in the list; otherwise
        # start at the top again (after a search is cleared, `f` lands on the first tag).
        in_use = self.screen.focused is self
        current = self.highlighted_option.id if self.highlighted_option and in_use else None
        self._rows = rows
        self.forget_strips()
        self.virtual_size = Size(self.size.width, len(rows))
        index: int | None = 0 if rows else None
        if current is not None:
            found = next((i for i, r in enumerate(rows) if r.id == current), None)
            if found is not None and (rows[found].count or rows[found].on):
                index = found  # (a tag that dropped to 0 is not followed down the list)
        self._highlighted = None
        self.highlighted = index
        if index in (0, None):
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int | None:
        return self._highlighted

    @property
    def highlighted(self) -> int | None:
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        if index is not None:
            index = max(0, min(index, len(self._rows) - 1)) if self._rows else None
        if index == self._highlighted:
            return
        self._highlighted = index
        self.refresh()
        if index is not None:
            self.scroll_to_row(index)

    @property
    def highlighted_option(self) -> TagRow | None:
        i = self._highlighted
        return self._rows[i] if i is not None and i < len(self._rows) else None

    def get_option(self, tag: str) -> TagRow:
        return self._rows[self.get_option_index(tag)]

    def get_option_index(self, tag: str) -> int:
        for i, row in enumerate(self._rows):
            if row.id == tag:
                return i
        raise KeyError(tag)

    # ---------------------------------------------------------------- actions

    def action_cursor(self, delta: int) -> None:
        if self._rows:
            self.highlighted = (self._highlighted or 0) + delta

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self._rows) - 1

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_select(self) -> None:
        row = self.highlighted_option
        if row is None:
            return
        if self.follow is not None:
            self.follow(row.id)
        else:
            self.post_message(self.Toggled(row.id))

    def action_toggle_mode(self) -> None:
        self.post_message(self.ModeToggled())

    def on_click(self, event: Click) -> None:
        row = self.row_at(event)
        if row is not None:
            self.highlighted = row
            self.action_select()

    # ---------------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        row = self._rows[index]
        cursor = index == self._highlighted
        return self.strip_for(
            (row, cursor), width, lambda: self._render_row(row, width, cursor)
        ).apply_offsets(0, index)

    def _render_row(self, row: TagRow, width: int, cursor: bool) -> Strip:
        base, box_on, box_off, tag_on, count = self.row_styles(cursor)
        tail = f" {row.count}"
        name = fit(row.id, max(1, width - 3 - len(tail))).rstrip()
        segments = [
            Segment(" ", base),
            Segment("☑ " if row.on else "☐ ", box_on if row.on else box_off),
            Segment(name, tag_on if row.on else base),
            Segment(tail, count),
        ]
        return Strip(segments).adjust_cell_length(width, base)


__all__ = ["TagFilter", "TagRow"]
