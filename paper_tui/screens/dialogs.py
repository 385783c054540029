"""Modal dialogs. They behave one way everywhere: in a form `tab`/`shift+tab` move
between fields and `ctrl+s` submits; a confirmation accepts `y` or `enter` and
refuses `n` or `escape`; a choice takes an option's first letter; `escape` always
cancels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..keys import COMMANDS, LIST_KEYS
from ..model import ValidationError, new_paper
from ..widgets.typeahead import TypeAheadScreen, after_typing


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Content(self.question), classes="dialog-title")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            yield Label(Content("y / enter: yes    n / escape: no"), classes="dialog-hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of a few options: arrows and enter, a click, or the option's first
    letter (shown before it, when no other option starts with it); escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, choices: Iterable[tuple[str, str]], highlight: str | None = None
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.choices = list(choices)
        self.highlight = highlight
        firsts = [label[:1].lower() for _, label in self.choices]
        self.letters = {
            letter: cid
            for letter, (cid, _) in zip(firsts, self.choices, strict=True)
            if letter.isalnum() and firsts.count(letter) == 1
        }

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Content(self.title_text), classes="dialog-title")
            letter_of = {cid: letter for letter, cid in self.letters.items()}
            yield OptionList(
                *[
                    Option(
                        Content.assemble((letter_of.get(cid, " "), "bold $accent"), "  ", label),
                        id=cid,
                    )
                    for cid, label in self.choices
                ]
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.highlight:
            ids = [cid for cid, _ in self.choices]
            if self.highlight in ids:
                options.highlighted = ids.index(self.highlight)
        options.focus()

    def on_key(self, event: events.Key) -> None:
        choice = self.letters.get((event.character or "").lower())
        if choice is not None:
            event.stop()
            self.dismiss(choice)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class _LastWordSuggester(Suggester):
    """Completes the tag being typed (the last word) from the log's tags."""

    def __init__(self, words: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.words = sorted(set(words))

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        if not last:
            return None
        for word in self.words:
            if word.startswith(last.lower()) and word != last:
                return f"{head} {word}".lstrip() if head else word
        return None


class CompletingInput(Input):
    """An Input where tab accepts the greyed suggestion (then moves on as usual)."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    def action_complete(self) -> None:
        suggestion = getattr(self, "_suggestion", "")
        if suggestion and suggestion != self.value and self.cursor_at_end:
            self.value = suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


class TextPrompt(TypeAheadScreen[str | None]):
    """One line of input; enter or ctrl+s submits, escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Save", priority=True),
    ]

    def __init__(
        self,
        title: str,
        value: str = "",
        *,
        hint: str = "",
        completions: Iterable[str] = (),
        placeholder: str = "",
        select: bool = True,
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.value = value
        self.select = select  # False: the cursor waits at the end, so typing adds
        self.hint = hint
        self.completions = list(completions)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Content(self.title_text), classes="dialog-title")
            suggester = _LastWordSuggester(self.completions) if self.completions else None
            yield CompletingInput(
                self.value,
                placeholder=self.placeholder,
                suggester=suggester,
                select_on_focus=self.select,
            )
            yield Label(Content(self.hint or "enter: save · escape: cancel"), classes="dialog-hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_submit(self) -> None:
        after_typing(self.focused, self._submit)

    def _submit(self) -> None:
        self.dismiss(self.query_one(Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AddPaperScreen(TypeAheadScreen[dict[str, Any] | None]):
    """The add form. Validation happens here so the user sees the message in place."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Add", priority=True),
    ]
    first_field = "#add-title"

    FIELDS = (
        ("title", "Title (required)"),
        ("authors", "Authors, separated by ;"),
        ("year", "Year"),
        ("arxiv", "arXiv id, DOI or URL (alone: the rest is fetched)"),
        ("venue", "Venue (e.g. NeurIPS 2021)"),
        ("tags", "Tags, separated by spaces"),
    )

    def __init__(self, taken_keys: set[str], tags: Iterable[str]) -> None:
        super().__init__(classes="dialog")
        self.taken_keys = taken_keys
        self.tags = list(tags)

    def compose(self) -> ComposeResult:
        # The form scrolls but takes no focus: tab goes from the comment back to the title.
        with VerticalScroll(classes="dialog-box form", can_focus=False):
            yield Label(Content("Add a paper"), classes="dialog-title")
            # How to submit goes first: on a small screen the form's end is off screen.
            yield Label(
                Content("tab/shift+tab: move · ctrl+s: add · escape: cancel"),
                classes="dialog-hint",
            )
            yield Label(Content(""), id="add-error", classes="dialog-error")
            for name, placeholder in self.FIELDS:
                if name == "tags":
                    field: Input = CompletingInput(
                        placeholder=placeholder,
                        id=f"add-{name}",
                        suggester=_LastWordSuggester(self.tags),
                    )
                else:
                    field = Input(placeholder=placeholder, id=f"add-{name}")
                yield field
            yield TextArea(id="add-comment", soft_wrap=True)

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def values(self) -> dict[str, str]:
        out = {name: self.query_one(f"#add-{name}", Input).value for name, _ in self.FIELDS}
        out["comment"] = self.query_one("#add-comment", TextArea).text
        return out

    def action_submit(self) -> None:
        after_typing(self.focused, self._submit)

    def _submit(self) -> None:
        v = self.values()
        if not v["title"].strip():
            from ..fetch import parse_identifier

            ident = parse_identifier(v["arxiv"])
            if ident is not None:
                self.dismiss(
                    {
                        "identifier": ident,
                        "tags": v["tags"].replace(",", " ").split(),
                        "comment": v["comment"],
                    }
                )
                return
        try:
            paper = new_paper(
                title=v["title"],
                taken_keys=self.taken_keys,
                authors=[a.strip() for a in v["authors"].split(";")],
                year=v["year"] or None,
                arxiv=v["arxiv"],
                venue=v["venue"],
                tags=v["tags"].replace(",", " ").split(),
                comment=v["comment"],
            )
        except ValidationError as exc:
            self.query_one("#add-error", Label).update(Content(str(exc)))
            self.query_one("#add-error", Label).scroll_visible()
            return
        self.dismiss({"paper": paper})

    def action_cancel(self) -> None:
        """Escape on a form with typed text asks first, like the comment editor."""
        if not any(v.strip() for v in self.values().values()):
            self.dismiss(None)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard this new paper?"), answer)


class HelpScreen(ModalScreen[None]):
    """Every key, generated from the same table as the bindings."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        parts: list[tuple[str, str] | str] = [("Keys\n\n", "bold")]
        for key, text in LIST_KEYS:
            parts += [(f"{key:<20}", "$text-accent"), f"{text}\n"]
        parts.append("\n")
        for command in COMMANDS:
            key = command.key_text or "(palette)"
            parts += [(f"{key:<20}", "$text-accent"), f"{command.help}\n"]
        parts += [
            "\n",
            ("In the editor: ", "bold"),
            "ctrl+s saves, escape leaves (asks when changed), ctrl+o opens $EDITOR.\n",
            ("In dialogs: ", "bold"),
            "tab moves, ctrl+s submits, y/enter accepts, n/escape refuses.\n",
        ]
        with VerticalScroll(classes="dialog-box help"):
            yield Static(Content.assemble(*parts))
            yield Label(Content("escape: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
