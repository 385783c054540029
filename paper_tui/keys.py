"""Every user command, defined once: key, footer text, id, palette entry and help line.

The main screen's BINDINGS, the command palette and the help screen are all
generated from `COMMANDS`, so they cannot drift apart. Binding ids are stable
(`paper.edit`, ...) so users can remap them with Textual's keymap.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: str  # Textual key names, comma-separated; "" for palette-only commands
    action: str
    label: str  # short text for the footer
    help: str  # one line for the help screen and the palette
    category: str
    footer: bool = False
    show_key: str = ""  # how the key is written in help (defaults to `keys`)

    def binding(self) -> Binding:
        # Every command key is a priority binding: the app takes it as it arrives,
        # before the keys after it, so a burst (`/distill`, `ae12`, pasted or sent
        # by tmux) runs in the order typed. Without focus in a text box, that is
        # the only difference; with it, `MainScreen.check_action` lets letters
        # through to the text box.
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.footer,
            id=self.id,
            tooltip=self.help,
            priority=True,
        )

    @property
    def key_text(self) -> str:
        return self.show_key or self.keys.replace("slash", "/").replace("question_mark", "?")


COMMANDS: tuple[Command, ...] = (
    Command(
        "paper.search",
        "slash",
        "search",
        "Search",
        "Search titles, authors, comments and tags; enter keeps it, escape clears it",
        "Find",
        footer=True,
    ),
    Command(
        "paper.tags-filter",
        "f",
        "focus_tags",
        "Tags",
        "Focus the tag filter: space/enter toggles a tag, escape returns",
        "Find",
        footer=True,
    ),
    Command(
        "paper.edit",
        "e",
        "edit",
        "Edit",
        "Edit the comment in place: ctrl+s saves, escape leaves",
        "Paper",
        footer=True,
    ),
    Command(
        "paper.edit-external",
        "E",
        "edit_external",
        "Edit in $EDITOR",
        "Edit the comment in $EDITOR (for long notes)",
        "Paper",
    ),
    Command("paper.tags", "t", "edit_tags", "Tags", "Edit the paper's tags", "Paper"),
    Command(
        "paper.cite",
        "c",
        "cite",
        "Cite",
        "Copy the citation of the paper or the marked papers (BibTeX, or the format C chose last)",
        "Cite",
        footer=True,
    ),
    Command(
        "paper.cite-as",
        "C",
        "cite_as",
        "Cite as",
        "Pick a format (BibTeX, reference, Markdown link, URL) and copy",
        "Cite",
    ),
    Command(
        "paper.cite-view",
        "",
        "cite_view",
        "Cite view",
        "Copy citations of every paper in the current view",
        "Cite",
    ),
    Command(
        "paper.mark",
        "",
        "toggle_mark",
        "Mark",
        "Mark or unmark the paper and move down, for citing or deleting several",
        "Cite",
        show_key="space, m",
    ),
    Command("paper.clear-marks", "", "clear_marks", "Clear marks", "Unmark all papers", "Cite"),
    Command("paper.add", "a", "add", "Add", "Add a paper", "Log"),
    Command(
        "paper.delete",
        "d",
        "delete",
        "Delete",
        "Delete the paper (or the marked papers), after asking",
        "Log",
    ),
    Command(
        "paper.undo",
        "u",
        "undo",
        "Undo",
        "Undo the last change (comments, tags, status, deletes, adds)",
        "Log",
    ),
    Command(
        "paper.status",
        "r",
        "cycle_status",
        "Status",
        "Cycle the reading status: unread, skimmed, read",
        "Paper",
    ),
    Command(
        "paper.star",
        "asterisk",
        "toggle_star",
        "Star",
        "Star or unstar the paper",
        "Paper",
        show_key="*",
    ),
    Command(
        "paper.open", "o", "open_paper", "Open", "Open the paper's page in the browser", "Paper"
    ),
    Command(
        "view.sort",
        "s",
        "cycle_sort",
        "Sort",
        "Cycle the order: added, title, year, last edited",
        "View",
    ),
    Command(
        "view.tag-mode",
        "",
        "toggle_tag_mode",
        "All/any tags",
        "Switch the tag filter between all-of and any-of",
        "View",
    ),
    Command(
        "view.status-filter",
        "",
        "cycle_status_filter",
        "Status filter",
        "Show only unread, skimmed or read papers (cycles)",
        "View",
    ),
    Command(
        "view.starred-filter",
        "",
        "toggle_starred_filter",
        "Starred only",
        "Show only starred papers (toggle)",
        "View",
    ),
    Command(
        "view.clear-filters",
        "",
        "clear_filters",
        "Clear filters",
        "Clear the search, tags and status filters",
        "View",
    ),
    Command(
        "log.rename-tag",
        "",
        "rename_tag",
        "Rename tag",
        "Rename or merge a tag across the whole log",
        "Log",
    ),
    Command(
        "log.import",
        "",
        "import_file",
        "Import",
        "Import papers from a text log, Markdown or BibTeX file",
        "Log",
    ),
    Command("log.export", "", "export_file", "Export", "Export the current view to a file", "Log"),
    Command(
        "log.refresh",
        "",
        "refresh_pending",
        "Fetch pending",
        "Fetch metadata for papers added while offline",
        "Log",
    ),
    Command("log.reload", "", "reload", "Reload", "Reload the log from disk", "Log"),
    Command(
        "app.help",
        "question_mark",
        "help",
        "Help",
        "Every key and what it does",
        "App",
        footer=True,
    ),
    Command(
        "app.quit",
        "q",
        "quit_app",
        "Quit",
        "Quit (asks first when a comment is unsaved)",
        "App",
        footer=True,
    ),
)

LIST_KEYS: tuple[tuple[str, str], ...] = (
    ("j / k, ↓ / ↑", "Next / previous paper"),
    ("g / G, home / end", "First / last paper"),
    ("pgdn / pgup", "Page down / up"),
    ("enter", "Edit the comment"),
    ("escape", "One step back: leave the editor, the search, the tag filter"),
    ("ctrl+p", "Command palette: every action, and jump to a paper by title"),
)


def by_action(action: str) -> Command:
    for command in COMMANDS:
        if command.action == action:
            return command
    raise KeyError(action)
