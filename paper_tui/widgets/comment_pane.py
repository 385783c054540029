"""The comment pane: the selected paper's facts, its comment as Markdown, and the editor.

User data reaches the screen only as `Content` built from plain strings, or as
Markdown source, which markdown-it-py (through Rich's Markdown renderable) turns
into text, never into Textual markup; a title like `[/]` or a comment like
`[bold]x` shows as typed.
"""

from __future__ import annotations

import re

from rich.markdown import Markdown as RichMarkdown
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, TextArea

from ..model import Paper, plain_text
from .typeahead import pass_on_if_unfocused

_SOFT_BREAK = re.compile(r"(?<=[^\n])\n(?=[^\n])")


def paper_header(paper: Paper) -> Content:
    """Title; year, venue, arXiv link, status and key; tags; then the authors.

    The header may take at most half the pane, so on a small screen its end is
    cut: the authors, which can run to many lines, come last, after the facts.
    """
    parts: list[tuple[str, str] | str] = [(plain_text(paper.title), "bold"), "\n"]
    year = str(paper.year) if paper.year else ""
    facts = [year if year not in paper.venue else "", paper.venue]  # not 2021 · ICCV 2021
    line = " · ".join(f for f in facts if f)
    if line:
        parts.append((line + " · ", "$text-muted"))
    if paper.arxiv_id:
        parts += [("arXiv ", "$text-muted"), (paper.arxiv_id, "underline"), (" · ", "$text-muted")]
    elif paper.link:
        parts += [(paper.link, "underline"), (" · ", "$text-muted")]
    status = paper.status + (" ★" if paper.starred else "")
    parts += [(f"{status} · {paper.key}", "$text-muted")]
    if paper.extra.get("pending"):
        parts += ["\n", ("metadata pending (palette: Fetch metadata)", "$text-warning")]
    if paper.tags:
        parts += ["\n", (" ".join(f"#{t}" for t in paper.tags), "$text-accent")]
    if paper.authors:
        parts += ["\n", (", ".join(plain_text(a) for a in paper.authors), "italic")]
    return Content.assemble(*parts)


class CommentEditor(TextArea):
    """The in-place editor: a plain TextArea (not `code_editor`), so `escape` reaches the screen."""

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls each class's `_on_key` down the MRO (the parent's runs next),
        # unless this one prevents the default.
        pass_on_if_unfocused(self, event)


class CommentView(Static):
    """The comment rendered as Markdown, synchronously.

    Textual's Markdown widget parses and mounts its blocks asynchronously, so the
    pane trailed the cursor by two frames; a Rich Markdown renderable (also
    markdown-it-py) is drawn in the same frame as the list.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = ""

    def show_markdown(self, source: str) -> None:
        self.source = source
        # A note's line breaks are the author's: show them (CommonMark would join them).
        shown = _SOFT_BREAK.sub("  \n", source)
        self.update(RichMarkdown(shown, hyperlinks=True))


class CommentPane(Vertical):
    """Shows one paper; swaps its Markdown view for an editor while editing."""

    DEFAULT_CSS = """
    CommentPane {
        #paper-header { padding: 0 1; margin-bottom: 1; max-height: 60%; }
        #comment-scroll { height: 1fr; padding: 0 1; }
        #comment-editor { display: none; height: 1fr; }
        &.-editing #comment-scroll { display: none; }
        &.-editing #comment-editor { display: block; }
        #comment-hint { display: none; color: $text-muted; padding: 0 1; }
        &.-editing #comment-hint { display: block; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="paper-header")
        with VerticalScroll(id="comment-scroll", can_focus=False):
            yield CommentView(id="comment-view")
        yield CommentEditor(id="comment-editor", soft_wrap=True, show_line_numbers=False)
        yield Static(
            Content("ctrl+s save · escape leave · ctrl+o open in $EDITOR"), id="comment-hint"
        )

    def show(self, paper: Paper | None) -> None:
        header = self.query_one("#paper-header", Static)
        view = self.query_one(CommentView)
        if paper is None:
            header.update(Content("No paper selected."))
            view.show_markdown("")
            return
        header.update(paper_header(paper))
        view.show_markdown(paper.comment or "*No comment yet: press e to write one.*")

    @property
    def editor(self) -> CommentEditor:
        return self.query_one(CommentEditor)

    def start_editing(self, text: str) -> None:
        editor = self.editor
        editor.load_text(text)
        self.add_class("-editing")
        self.screen.set_focus(editor)  # now: keys typed right after `e` belong to the editor
        editor.move_cursor(editor.document.end)

    def stop_editing(self) -> None:
        self.remove_class("-editing")
