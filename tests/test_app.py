"""The app driven by keys through Textual's Pilot: what the user sees and what lands on disk."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from textual import events
from textual.widgets import Input, TextArea

from paper_tui.app import PaperApp
from paper_tui.screens.dialogs import AddPaperScreen, ChoiceScreen, ConfirmScreen, HelpScreen
from paper_tui.store import dumps
from paper_tui.widgets.comment_pane import CommentPane
from paper_tui.widgets.tag_filter import TagFilter

from .app_helpers import FakeClipboard, disk_keys, disk_papers, make_app, plist, settle, text_of

SIZE = (120, 32)


async def test_start_shows_the_log(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert plist(app).row_count == 21
        assert "21 of 21 papers" in text_of(app, "#status-line")
        assert str(log_path) in text_of(app, "#banner")
        header = text_of(app, "#paper-header")
        assert "The Modern Mathematics of Deep Learning" in header
        assert "Julius Berner" in header
        assert "2105.04026" in header


async def test_cursor_keys_move_and_pane_follows(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")
        assert plist(app).current.key == "daneshmand2021batch"  # type: ignore[union-attr]
        assert "Batch Normalization Orthogonalizes" in text_of(app, "#paper-header")
        await pilot.press("k")
        assert plist(app).current.key == "yu2021s2mlp"  # type: ignore[union-attr]
        await pilot.press("G")
        assert plist(app).current.key == "lubana2021beyond"  # type: ignore[union-attr]
        await pilot.press("g")
        assert plist(app).current.key == "berner2021modern"  # type: ignore[union-attr]
        await pilot.press("down")
        assert plist(app).current.key == "yu2021s2mlp"  # type: ignore[union-attr]


async def test_search_narrows_and_escape_clears(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"distill")
        assert plist(app).all_keys() == ["stanton2021does", "beyer2021knowledge"]
        assert "2 of 21 papers" in text_of(app, "#status-line")
        assert 'search "distill"' in text_of(app, "#status-line")
        await pilot.press("escape")
        assert plist(app).row_count == 21
        assert app.focused is plist(app)
        # enter keeps the search and returns to the list
        await pilot.press("slash")
        app.main.query_one("#search", Input).value = "google論文"
        await pilot.press("enter")
        assert app.focused is plist(app)
        assert set(plist(app).all_keys()) == {
            "dai2021coatnet",
            "beyer2021knowledge",
            "riquelme2021scaling",
        }


async def test_search_matches_japanese_comment_and_authors(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        app.main.query_one("#search", Input).value = "圧縮"
        await pilot.pause()
        assert "chen2021chasing" in plist(app).all_keys()
        app.main.query_one("#search", Input).value = "kaiming"
        await pilot.pause()
        assert plist(app).row_count == 0
        app.main.query_one("#search", Input).value = "KUTYNIOK"
        await pilot.pause()
        assert plist(app).all_keys() == ["berner2021modern"]


async def test_tag_filter_toggles_and_counts(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        tags = app.main.query_one(TagFilter)
        assert app.focused is tags
        assert tags.highlighted_option is not None
        assert tags.highlighted_option.id == "vit"  # the most common tag comes first
        await pilot.press("space")
        assert plist(app).row_count == 8
        assert "8 of 21 papers" in text_of(app, "#status-line")
        assert "tags vit" in text_of(app, "#status-line")
        # counts now describe the narrowed view: google papers among the vit ones
        google = tags.get_option("google")
        assert str(google.prompt).endswith(" 2") or " 2" in google.prompt.plain  # type: ignore[union-attr]
        tags.highlighted = tags.get_option_index("google")
        await pilot.press("enter")
        assert set(plist(app).all_keys()) == {"dai2021coatnet", "riquelme2021scaling"}
        await pilot.press("escape")
        assert app.focused is plist(app)


async def test_tag_list_starts_at_the_top_after_a_search_is_cleared(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"distill", "enter", "escape", "f")
        tags = app.main.query_one(TagFilter)
        assert tags.highlighted == 0
        assert tags.scroll_offset.y == 0


async def test_edit_and_save_comment_lands_on_disk(log_path: Path) -> None:
    original = log_path.read_bytes()
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "e")
        pane = app.main.query_one(CommentPane)
        assert pane.has_class("-editing")
        assert app.focused is pane.editor
        await pilot.press("space", *"追記", "j", "k")  # letters go into the text, not to the list
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not pane.has_class("-editing")
        expected = "Baidu論文。MLP-mixerを良くしたよ。channel mixingのみですごくシンプル。 追記jk"
        assert disk_papers(log_path)["yu2021s2mlp"]["comment"] == expected
        assert (log_path.parent / "entries.json.bak").read_bytes() == original
        assert "NOT SAVED" not in text_of(app, "#status-line")
        assert "追記jk" in pane.query_one("#comment-view").source  # type: ignore[attr-defined]


async def test_escape_with_changes_asks_save_discard_keep(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"xyz", "escape")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # Discard
        await settle(pilot)
        assert not app.main.editing
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("質問集。")
        # keep editing, then save from the dialog
        await pilot.press("e", *"abc", "escape")
        await pilot.press("down", "down", "enter")  # Keep editing
        assert app.main.editing == "berner2021modern"
        await pilot.press("escape", "enter")  # Save
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("質問集。abc")
        # the first letters answer too: k keeps editing, d discards, s saves
        await pilot.press("e", *"123", "escape", "k")
        assert app.main.editing == "berner2021modern"
        await pilot.press("escape", "d")
        assert not app.main.editing
        await pilot.press("e", *"45", "escape", "s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("質問集。abc45")


async def test_escape_without_changes_just_leaves(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "escape")
        assert not app.main.editing
        assert not isinstance(app.screen, ChoiceScreen)


async def test_edit_tags(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        # typing adds to the tags there (they are not selected to be typed over)
        await pilot.press("t", *"dist", "tab", "enter")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["tags"] == [
            "theory",
            "survey",
            "distillation",
        ]
        await pilot.press("t")
        field = app.screen.query_one(Input)
        field.value = "Theory  Deep-Learning,books"
        await pilot.press("enter")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["tags"] == [
            "theory",
            "deep-learning",
            "books",
        ]
        assert "#deep-learning" in text_of(app, "#paper-header")


async def test_copy_bibtex_and_pick_format(log_path: Path) -> None:
    clip = FakeClipboard()
    app = make_app(log_path, clip)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert clip.copies[-1].startswith("@incollection{berner2021modern,")
        await pilot.press("C")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "down", "enter")  # Markdown link
        assert clip.copies[-1] == (
            "[The Modern Mathematics of Deep Learning](https://arxiv.org/abs/2105.04026)"
            " (Berner et al., 2021)"
        )
        await pilot.press("j", "c")  # the choice is remembered
        assert clip.copies[-1].startswith("[S²-MLP: Spatial-Shift MLP Architecture for Vision]")


async def test_marks_copy_several(log_path: Path) -> None:
    clip = FakeClipboard()
    app = make_app(log_path, clip)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "space", "c")  # mark two (the cursor moves on), then cite
        assert clip.copies[-1].count("@") == 2
        assert "2 marked" in text_of(app, "#status-line")
        await pilot.press("escape")
        assert "marked" not in text_of(app, "#status-line")


async def test_clipboard_failure_is_a_message_not_a_crash(log_path: Path) -> None:
    app = make_app(log_path, FakeClipboard(fail=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert any("Could not copy" in n.message for n in app._notifications)


async def test_markup_in_user_data_is_shown_literally(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    doc = {
        "key": "evil2024",
        "title": "[bold]Not bold[/] and [/] and [link=x]y[/link] [",
        "authors": ["[red]Ann[/red] O'Brien"],
        "year": 2024,
        "tags": ["[x]"],
        "comment": "[bold]still text[/bold] $var ]",
    }
    path.write_bytes(dumps({"meta": {"1": {"schema": 1}}, "papers": {"1": doc}}))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = text_of(app, "#paper-header")
        assert "[bold]Not bold[/] and [/] and [link=x]y[/link] [" in header
        assert "[red]Ann[/red] O'Brien" in header
        await pilot.press("e", *"ok", "ctrl+s")
        await settle(pilot)
        assert disk_papers(path)["evil2024"]["comment"] == "[bold]still text[/bold] $var ]ok"
        await pilot.press("c")


async def test_empty_log(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    clip = FakeClipboard()
    app = make_app(path, clip)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "e", "c", "t", "d", "r", "o")
        await pilot.pause()
        assert "0 of 0 papers" in text_of(app, "#status-line")
        assert clip.copies == []
        assert "No papers yet: a adds one" in plist(app).render_line(0).text
        await pilot.press("slash", *"zzqx")
        assert "No papers yet" in plist(app).render_line(0).text


async def test_no_match_says_so_and_how_to_clear(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"zzqx")
        assert plist(app).row_count == 0
        assert "No paper matches the search: escape clears it." in plist(app).render_line(0).text
        await pilot.press("escape")
        assert plist(app).row_count == 21
        assert "No paper" not in plist(app).render_line(0).text
        # a search that matches, narrowed to nothing by a tag: the message says both
        await pilot.press("slash", *"distill", "enter")
        app.main._toggle_tag("nas")
        assert plist(app).row_count == 0
        assert "the search and filters" in plist(app).render_line(0).text


async def test_tab_in_the_add_form_never_leaves_the_fields(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        for _ in range(10):
            await pilot.press("tab")
            assert isinstance(app.focused, Input | TextArea), app.focused


async def test_read_only_file_is_never_written(log_path: Path) -> None:
    os.chmod(log_path, 0o444)
    before = log_path.read_bytes()
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "READ-ONLY" in text_of(app, "#banner")
        await pilot.press("e")
        assert not app.main.editing
        await pilot.press("t", "r", "asterisk")
        await settle(pilot)
    assert log_path.read_bytes() == before


async def test_corrupt_file_opens_with_a_message_and_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"papers": {"1": {"key": "a", "title": "x"},}')
    before = path.read_bytes()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = text_of(app, "#banner")
        assert "READ-ONLY" in banner
        assert "not valid JSON at line 1" in banner
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, AddPaperScreen)
    assert path.read_bytes() == before


async def test_quit_with_unsaved_comment_asks(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"zz", "ctrl+q")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # Save and quit
        await pilot.pause()
    assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("zz")
    assert app.return_code == 0


async def test_delete_and_undo_restore_the_file(log_path: Path) -> None:
    keys = disk_keys(log_path)
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "daneshmand2021batch" not in disk_keys(log_path)
        assert plist(app).row_count == 20
        await pilot.press("u")
        await settle(pilot)
        assert disk_keys(log_path) == keys
        assert plist(app).row_count == 21


async def test_delete_refused_with_n(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d", "n")
        await settle(pilot)
        assert len(disk_keys(log_path)) == 21


async def test_undo_comment_edit(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"!!", "ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("!!")
        await pilot.press("u")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("質問集。")


async def test_add_paper_form(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, AddPaperScreen)
        await pilot.press("ctrl+s")  # no title
        assert "title is required" in str(app.screen.query_one("#add-error").content)
        app.screen.query_one("#add-title", Input).value = "Attention Is All You Need"
        app.screen.query_one("#add-authors", Input).value = "Ashish Vaswani; Noam Shazeer"
        app.screen.query_one("#add-year", Input).value = "2017"
        app.screen.query_one("#add-arxiv", Input).value = "https://arxiv.org/abs/1706.03762v7"
        app.screen.query_one("#add-tags", Input).value = "transformer nlp"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = disk_papers(log_path)["vaswani2017attention"]
        assert saved["arxiv_id"] == "1706.03762"
        assert saved["tags"] == ["transformer", "nlp"]
        assert plist(app).current.key == "vaswani2017attention"  # type: ignore[union-attr]


async def test_add_duplicate_selects_existing(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        app.screen.query_one("#add-title", Input).value = "Something else"
        app.screen.query_one("#add-arxiv", Input).value = "2106.08254"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(disk_keys(log_path)) == 21
        assert plist(app).current.key == "bao2021beit"  # type: ignore[union-attr]


async def test_sort_status_star(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # title
        assert plist(app).all_keys()[0] == "lin2021survey"  # "A Survey of Transformers"
        await pilot.press("s")  # year, newest first
        assert disk_papers(log_path)[plist(app).all_keys()[-1]]["year"] == 2020
        await pilot.press("s", "s")  # edited, then back to added
        assert plist(app).all_keys()[0] == "berner2021modern"
        await pilot.press("r", "asterisk")
        await settle(pilot)
        saved = disk_papers(log_path)["berner2021modern"]
        assert saved["status"] == "read"
        assert saved["starred"] is True


async def test_help_screen_lists_keys(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").content)
        assert "Copy the citation" in text
        assert "Rename or merge a tag" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_draft_survives_a_crash_and_is_offered_back(log_path: Path) -> None:
    drafts = log_path.with_name("entries.json.drafts.json")
    drafts.write_bytes(orjson.dumps({"bao2021beit": "途中まで書いたコメント"}))
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert app.main.editing == "bao2021beit"
        assert app.main.query_one(CommentPane).editor.text == "途中まで書いたコメント"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["bao2021beit"]["comment"] == "途中まで書いたコメント"
    assert not drafts.exists()


async def test_typing_writes_a_draft(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"draft")
        await pilot.pause(1.2)
        await settle(pilot)
        drafts = orjson.loads(log_path.with_name("entries.json.drafts.json").read_bytes())
        assert drafts["berner2021modern"].endswith("draft")


async def test_external_change_is_reloaded_when_idle(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        data = orjson.loads(log_path.read_bytes())
        data["papers"]["1"]["comment"] = "edited elsewhere"
        log_path.write_bytes(dumps(data))
        app.main.check_external_change()
        await pilot.pause()
        assert "edited elsewhere" in app.main.query_one("#comment-view").source  # type: ignore[attr-defined]


async def test_conflicting_save_keeps_the_users_text(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"mine")
        data = orjson.loads(log_path.read_bytes())
        data["papers"]["2"]["comment"] = "theirs"
        log_path.write_bytes(dumps(data))
        await pilot.press("ctrl+s")
        await settle(pilot)
        # their change is kept on disk, ours is back in the editor to re-apply
        assert disk_papers(log_path)["yu2021s2mlp"]["comment"] == "theirs"
        assert not disk_papers(log_path)["berner2021modern"]["comment"].endswith("mine")
        assert app.main.editing == "berner2021modern"
        assert app.main.query_one(CommentPane).editor.text.endswith("mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("mine")
        assert disk_papers(log_path)["yu2021s2mlp"]["comment"] == "theirs"


async def test_conflict_on_the_same_comment_keeps_both_texts(log_path: Path) -> None:
    from paper_tui.screens.main import THEIRS_MARK

    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", *"mine")
        data = orjson.loads(log_path.read_bytes())
        data["papers"]["1"]["comment"] = "their new comment"
        log_path.write_bytes(dumps(data))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"] == "their new comment"
        text = app.main.query_one(CommentPane).editor.text
        assert text.endswith(f"mine\n\n{THEIRS_MARK}\ntheir new comment")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"] == text


async def test_second_copy_is_read_only(log_path: Path) -> None:
    first = make_app(log_path)
    async with first.run_test(size=SIZE):
        second = make_app(log_path)
        async with second.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "another paper-tui" in text_of(second, "#banner")


async def test_palette_jump_to_paper(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"patient")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert plist(app).current.key == "beyer2021knowledge"  # type: ignore[union-attr]


async def test_click_selects_paper(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#paper-list", offset=(5, 3))
        assert plist(app).current.key == "wu2021rethinking"  # type: ignore[union-attr]


async def test_click_on_a_tag_toggles_it(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        tags = app.main.query_one(TagFilter)
        second = tags.get_option_index("compression")
        await pilot.click("#tag-filter", offset=(4, 1 + second))  # (1: the border)
        assert app.main.filter.tags == {"compression"}
        assert "6 of 21 papers" in text_of(app, "#status-line")
        assert tags.get_option("compression").prompt.plain.startswith("☑ compression")
        await pilot.click("#tag-filter", offset=(4, 1))  # compression now comes first
        assert app.main.filter.tags == frozenset()


@pytest.mark.parametrize("size", [(80, 24), (250, 50)])
async def test_layout_at_small_and_large_sizes(log_path: Path, size: tuple[int, int]) -> None:
    app = make_app(log_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert plist(app).size.width >= 40
        assert app.main.query_one(CommentPane).size.width >= 30
        assert app.main.query_one(TagFilter).size.height >= 3


async def test_view_state_is_remembered(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "f", "space", "escape", "j")
        selected = plist(app).current.key  # type: ignore[union-attr]
        await pilot.press("q")
    again = make_app(log_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.main.sort == "title"
        assert again.main.filter.tags == frozenset({"vit"})
        assert plist(again).current.key == selected  # type: ignore[union-attr]
        assert "tags vit" in text_of(again, "#status-line")


async def test_footer_shows_editor_keys_only_while_editing(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {b.action for (_, b, enabled, _) in app.main.active_bindings.values() if enabled}
        assert "edit" in shown and "save_comment" not in shown
        await pilot.press("e")
        await pilot.pause()
        active = app.main.active_bindings.values()
        shown = {b.action for (_, b, enabled, _) in active if enabled}
        assert "save_comment" in shown and "edit" not in shown and "cite" not in shown


async def test_import_and_export_from_the_palette_actions(log_path: Path, tmp_path: Path) -> None:
    bib = tmp_path / "more.bib"
    bib.write_text(
        "@article{vaswani2017attention, title={Attention Is All You Need},"
        " author={Vaswani, Ashish and Shazeer, Noam}, year={2017},"
        " journal={arXiv preprint arXiv:1706.03762}}\n"
        "@misc{dup, title={BEiT: BERT Pre-Training of Image Transformers}, eprint={2106.08254}}\n",
        encoding="utf-8",
    )
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        app.main.action_import_file()
        await pilot.pause()
        app.screen.query_one(Input).value = str(bib)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert plist(app).row_count == 22
        assert "vaswani2017attention" in disk_keys(log_path)
        assert any("1 added" in n.message for n in app._notifications)
        out = tmp_path / "view.md"
        await pilot.press("slash", *"attention", "enter")
        app.main.action_export_file()
        await pilot.pause()
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        text = out.read_text(encoding="utf-8")
        assert "Attention Is All You Need" in text and "CoAtNet" in text
        assert "BEiT" not in text


async def test_tag_filter_any_of(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        tags = app.main.query_one(TagFilter)
        tags.highlighted = tags.get_option_index("mlp")
        await pilot.press("space")
        tags.highlighted = tags.get_option_index("nas")
        await pilot.press("space")
        assert plist(app).row_count == 0  # no paper has both
        await pilot.press("a")
        assert set(plist(app).all_keys()) == {"yu2021s2mlp", "han2020rethinking"}
        assert "tags mlp|nas" in text_of(app, "#status-line")


async def test_full_disk_keeps_the_file_and_says_so(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import paper_tui.store as store_module

    before = log_path.read_bytes()
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(store_module.os, "write", full)
        await pilot.press("e", *"lost?", "ctrl+s")
        await settle(pilot)
        assert log_path.read_bytes() == before
        assert "1 NOT SAVED" in text_of(app, "#status-line")
        assert any("disk is full" in n.message for n in app._notifications)
        # space again: saving the same text again now lands on disk
        monkeypatch.setattr(store_module.os, "write", real_write)
        await pilot.press("e", "ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("lost?")
        assert "NOT SAVED" not in text_of(app, "#status-line")


async def test_large_log_paints_a_preview_then_loads_in_the_background(log_path: Path) -> None:
    import threading

    from paper_tui.app import PaperApp
    from paper_tui.store import Store

    release = threading.Event()
    preview = Store.open(log_path, readonly=True, lock=False).papers[:5]

    def slow_load() -> Store:
        release.wait(5)
        return Store.open(log_path)

    app = PaperApp(
        store=None, path=log_path, loader=slow_load, preview=preview, clipboard=FakeClipboard()
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert plist(app).row_count == 5
        assert "loading" in text_of(app, "#status-line")
        assert "loading" in text_of(app, "#banner")
        await pilot.press("e")
        assert not app.main.editing  # nothing that writes before the whole log is in
        await pilot.press("slash", *"google", "enter")  # a search typed while it loads...
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "4 of 21 papers" in text_of(app, "#status-line")  # ...applies to all of it
        assert 'search "google"' in text_of(app, "#status-line")
        await pilot.press("slash", "ctrl+u", "enter")
        assert plist(app).row_count == 21
        assert "21 of 21 papers" in text_of(app, "#status-line")
        await pilot.press("g", "e", *"ok", "ctrl+s")
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("ok")


async def test_undo_of_a_multi_delete_restores_the_order(log_path: Path) -> None:
    keys = disk_keys(log_path)
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "g", "space", "j", "j", "space", "space", "d", "y")  # title order
        await settle(pilot)
        assert len(disk_keys(log_path)) == 18
        await pilot.press("u")
        await settle(pilot)
        assert disk_keys(log_path) == keys


def burst(app: PaperApp, keys: str) -> None:
    """Keys arriving in one read from the terminal (a fast typist, a paste, tmux):
    all queued before the app handles the first, as the driver queues them."""
    for ch in keys:
        name = {"\n": "enter", "\x1b": "escape", "/": "slash"}.get(ch, ch)
        app.post_message(events.Key(name, None if ch in "\n\x1b" else ch))


async def test_typing_right_after_slash_goes_into_the_search(log_path: Path) -> None:
    before = log_path.read_bytes()
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        screens = len(app.screen_stack)
        burst(app, "/distill")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one("#search", Input).value == "distill"
        assert plist(app).all_keys() == ["stanton2021does", "beyer2021knowledge"]
        assert len(app.screen_stack) == screens  # no dialog opened by `d` or `t`
        # enter then j: back in the list, and j moves the cursor
        burst(app, "\nj")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one("#search", Input).value == "distill"
        assert app.focused is plist(app)
        assert plist(app).cursor == 1
        # e then text: the text lands in the editor, not on the list's keys
        burst(app, "eabc")
        await pilot.pause()
        await pilot.pause()
        assert app.main.editing == "beyer2021knowledge"
        assert app.main.query_one("#comment-editor", TextArea).text.endswith("abc")
        burst(app, "\x1b")
        await pilot.pause()
        assert len(app.screen_stack) == screens + 1  # save / discard / keep
        await pilot.press("d")  # discard
        await settle(pilot)
    assert log_path.read_bytes() == before


async def test_full_garbage_collections_wait_for_idle_and_settings_come_back(
    log_path: Path,
) -> None:
    import gc

    before = gc.get_threshold()
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[:2] == before[:2]
        assert gc.get_threshold()[2] > 1_000_000  # no full collection mid-keystroke
    assert gc.get_threshold() == before


async def test_keys_typed_before_escape_or_ctrl_s_are_kept(log_path: Path) -> None:
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        # text then ctrl+s in one burst: all of it saved
        burst(app, "exyz")
        app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        assert disk_papers(log_path)["berner2021modern"]["comment"].endswith("xyz")
        assert app.main.editing is None
        # a search typed then escaped in one burst is cleared, and j after it moves
        burst(app, "/distill\x1bj")
        await pilot.pause()
        await pilot.pause()
        assert app.main.query_one("#search", Input).value == ""
        assert app.focused is plist(app)
        assert plist(app).row_count == 21  # the cursor stayed on the match, then j
        assert plist(app).cursor == plist(app).all_keys().index("stanton2021does") + 1
        # text then escape in one burst: the editor asks, since the text is in
        burst(app, "eabc\x1b")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)


async def test_keys_typed_right_after_a_dialog_opens_go_into_it(log_path: Path) -> None:
    before = disk_papers(log_path)
    app = make_app(log_path)
    async with app.run_test(size=SIZE) as pilot:
        # j then e in one burst: the cursor moves first, then the editor opens on that paper
        burst(app, "je")
        await pilot.pause()
        await pilot.pause()
        assert app.main.editing == plist(app).all_keys()[1]
        burst(app, "\x1b")
        await pilot.pause()
        # a, a title and ctrl+s in one burst: a new paper with that title, nothing else
        burst(app, "aBurst added e12")
        app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        papers = disk_papers(log_path)
        added = [p for k, p in papers.items() if k not in before]
        assert [p["title"] for p in added] == ["Burst added e12"]
        assert all(papers[k]["comment"] == before[k]["comment"] for k in before)
        # t, a tag and enter in one burst: the tag is added to the paper's tags
        await pilot.press("g")
        burst(app, "tvit\n")
        await settle(pilot)
        key = plist(app).all_keys()[0]
        assert disk_papers(log_path)[key]["tags"][-1] == "vit"
