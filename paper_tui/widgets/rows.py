"""What the paper list and the tag filter share: one-line rows drawn with the Line
API (only those on screen), their styles worked out once, and drawn rows kept."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import ClassVar

from rich.style import Style
from textual.events import Click, Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class RowsView(ScrollView, can_focus=True):
    """A scrolling column of one-line rows.

    Subclasses name their component classes in `ROW_STYLES` (the cursor's in
    `CURSOR_STYLE`) and give `row_count` and `cursor_row`; `row_styles` returns
    the base style and then each of `ROW_STYLES` laid on it, worked out once per
    style change (it took half the time of drawing a row), and `strip_for`
    keeps drawn rows until the data, the width or the styles change.
    """

    ROW_STYLES: ClassVar[tuple[str, ...]] = ()
    CURSOR_STYLE: ClassVar[str] = ""
    MAX_STRIPS: ClassVar[int] = 400

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: dict[Hashable, Strip] = {}
        self._styles: dict[bool, tuple[Style, ...]] = {}

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    @property
    def cursor_row(self) -> int | None:
        raise NotImplementedError

    def row_styles(self, cursor: bool) -> tuple[Style, ...]:
        styles = self._styles.get(cursor)
        if styles is None:
            base = self.rich_style
            if cursor:
                base = base + self.get_component_rich_style(self.CURSOR_STYLE)
            parts = [base + self.get_component_rich_style(c, partial=True) for c in self.ROW_STYLES]
            styles = self._styles[cursor] = (base, *parts)
        return styles

    def strip_for(self, key: Hashable, width: int, draw: Callable[[], Strip]) -> Strip:
        strip = self._strips.get(key)
        if strip is None or strip.cell_length != width:
            strip = draw()
            if len(self._strips) > self.MAX_STRIPS:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def forget_strips(self) -> None:
        self._strips.clear()

    def row_at(self, event: Click) -> int | None:
        """The row a click landed on (None on the border, the padding or below the rows)."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        row = offset.y + self.scroll_offset.y
        return row if 0 <= row < self.row_count else None

    def scroll_to_row(self, row: int) -> None:
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def on_resize(self, event: Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(event.size.width, self.row_count)
        row = self.cursor_row
        if row is not None:
            self.scroll_to_row(row)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()
