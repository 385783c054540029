"""The seed's plain-text format, and the package's entry points: reading files, sniffing
formats, refusing what is not text, JSON in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paper_tui import formats
from paper_tui.formats import (
    FORMATS,
    FormatError,
    ParseResult,
    detect_format,
    export,
    parse,
    read_file,
)
from paper_tui.formats import text as textfmt
from paper_tui.model import Paper

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_log.txt"
SHIPPED = Path(__file__).parent.parent / "entries.json"


def shipped_papers() -> list[Paper]:
    table = json.loads(SHIPPED.read_text(encoding="utf-8"))["papers"]
    return [Paper.from_dict(table[k]) for k in sorted(table, key=int)]


# ---------------------------------------------------------------- the seed


def test_seed_reads_as_header_and_21_pairs() -> None:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    result = read_file(SEED)
    assert result.header == lines[0]
    assert result.header.startswith("凄まじい勢いで増殖中のTransformer論文")
    assert len(result.papers) == 21
    assert [p.title for p in result.papers] == lines[1::2]
    assert result.problems == []
    assert all(p.key == "" for p in result.papers)


def test_seed_comments_are_the_logs_comments_verbatim_and_in_order() -> None:
    result = read_file(SEED)
    assert [p.comment for p in result.papers] == [p.comment for p in shipped_papers()]


def test_seed_round_trips_byte_for_byte() -> None:
    raw = SEED.read_bytes()
    result = read_file(SEED)
    assert not result.final_newline  # the user's file has none; the export must not add one
    out = export(
        result.papers, "text", header=result.header, final_newline=result.final_newline
    ).encode("utf-8")
    assert out == raw


def test_trailing_newline_is_kept_when_present() -> None:
    text = SEED.read_text(encoding="utf-8") + "\n"
    result = parse(text, "text")
    assert result.final_newline
    assert textfmt.export(result.papers, header=result.header) == text


def test_even_line_count_means_no_header() -> None:
    result = parse("Title A\nComment A\nTitle B\nComment B\n", "text")
    assert result.header == ""
    assert [(p.title, p.comment) for p in result.papers] == [
        ("Title A", "Comment A"),
        ("Title B", "Comment B"),
    ]


def test_blank_lines_and_crlf_are_tolerated() -> None:
    text = "ヘッダー\r\n\r\nTitle A\r\nコメントA\r\n\r\n\r\nTitle B\r\nComment B\r\n"
    result = parse(text, "text")
    assert result.header == "ヘッダー"
    assert [p.comment for p in result.papers] == ["コメントA", "Comment B"]


def test_header_only_file_has_no_papers() -> None:
    result = parse("just a header\n", "text")
    assert result.header == "just a header"
    assert result.papers == []


def test_multiline_comment_is_joined_and_empty_comment_survives() -> None:
    papers = [
        Paper(key="a", title="First", comment="line one\n\n  line two  \nline three"),
        Paper(key="b", title="Second", comment=""),
        Paper(key="c", title="Third", comment="after an empty one"),
    ]
    out = textfmt.export(papers)
    assert out == ("First\nline one line two line three\nSecond\n-\nThird\nafter an empty one\n")
    back = parse(out, "text")
    assert [p.comment for p in back.papers] == [
        "line one line two line three",
        "",
        "after an empty one",
    ]


def test_arxiv_link_in_a_comment_gives_the_id() -> None:
    result = parse("BEiT\nsee https://arxiv.org/abs/2106.08254v2 for details\n", "text")
    assert result.papers[0].arxiv_id == "2106.08254"
    assert result.papers[0].comment == "see https://arxiv.org/abs/2106.08254v2 for details"


def test_suspiciously_long_title_is_reported() -> None:
    long_line = "これはコメントです。" * 40
    result = parse(f"Title\n{long_line}\n{long_line}\ncomment\n", "text")
    assert len(result.papers) == 2
    assert any("entry 2 (line 3)" in p and "characters long" in p for p in result.problems)


_line = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"
    ),
    min_size=1,
    max_size=40,
).map(lambda s: " ".join(s.split()))


@settings(max_examples=150, deadline=None)
@given(
    header=st.one_of(st.just(""), _line),
    pairs=st.lists(st.tuples(_line, _line), max_size=8),
    final_newline=st.booleans(),
)
def test_text_round_trip(header: str, pairs: list[tuple[str, str]], final_newline: bool) -> None:
    pairs = [(t, c) for t, c in pairs if t and c and c != textfmt.EMPTY_COMMENT]
    if not pairs and not header:
        return
    papers = [Paper(key="", title=t, comment=c) for t, c in pairs]
    out = textfmt.export(papers, header=header, final_newline=final_newline)
    back = textfmt.parse(out)
    assert back.header == header
    assert [(p.title, p.comment) for p in back.papers] == pairs
    assert textfmt.export(back.papers, header=back.header, final_newline=back.final_newline) == out


def test_many_entries_parse_quickly() -> None:
    pairs = [f"論文タイトル {i}: A Study of Things\nコメント{i}。とても良い。" for i in range(5000)]
    result = parse("ヘッダー\n" + "\n".join(pairs), "text")
    assert len(result.papers) == 5000
    assert result.papers[4999].comment == "コメント4999。とても良い。"


# ---------------------------------------------------------------- reading files


def test_binary_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(FormatError) as info:
        read_file(path)
    message = str(info.value)
    assert "photo.txt" in message
    assert "binary" in message


def test_latin1_file_is_refused_and_told_to_save_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "old_log.txt"
    path.write_bytes("Header\nCafé paper\nA comment about naïve priors\n".encode("latin-1"))
    with pytest.raises(FormatError) as info:
        read_file(path)
    message = str(info.value)
    assert "old_log.txt" in message
    assert "not UTF-8" in message
    assert "line 2" in message
    assert "UTF-8" in message.split("not UTF-8", 1)[1]


def test_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes("Title\nComment\n".encode("utf-16"))
    with pytest.raises(FormatError, match="UTF-16"):
        read_file(path)


def test_utf8_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "Title\nコメント\n".encode())
    result = read_file(path)
    assert [(p.title, p.comment) for p in result.papers] == [("Title", "コメント")]
    assert result.header == ""


def test_missing_file_and_folder_are_format_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="does not exist"):
        read_file(tmp_path / "nope.bib")
    with pytest.raises(FormatError, match="is a folder"):
        read_file(tmp_path)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PermissionError(13, "Permission denied"), "cannot be read: permission denied"),
        (OSError(5, "Input/output error"), "cannot be read: Input/output error"),
    ],
)
def test_unreadable_file_is_a_format_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, message: str
) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("a\nb\n")

    def refuse(self: Path) -> bytes:
        raise error

    monkeypatch.setattr(Path, "read_bytes", refuse)  # chmod does not stop root
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert "secret.txt" in str(info.value)
    assert message in str(info.value)


def test_too_large_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.md"
    path.write_text("- [A](https://a.org)\n" * 100)
    monkeypatch.setattr(formats, "MAX_BYTES", 1000)
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert "huge.md" in str(info.value)
    assert "not imported" in str(info.value)


def test_unknown_format_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown format 'docx'"):
        parse("x", "docx")
    with pytest.raises(FormatError, match="unknown format"):
        export([], "rtf")
    path = tmp_path / "a.txt"
    path.write_text("a\nb\n")
    with pytest.raises(FormatError, match="unknown format"):
        read_file(path, "yaml")


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("log.txt", b"@article{x, title={y}}", "text"),
        ("list.md", b"plain", "markdown"),
        ("list.MARKDOWN", b"plain", "markdown"),
        ("refs.bib", b"", "bibtex"),
        ("dump.json", b"", "json"),
        ("refs", b"% exported\n\n@inproceedings{bao2021beit,\n  title = {BEiT}}", "bibtex"),
        ("dump", b'\xef\xbb\xbf  [\n  {"title": "x"}]', "json"),
        ("dump", b'{"papers": {}}', "json"),
        ("README", b"# Awesome list\n\n- [Paper](https://arxiv.org/abs/1)", "markdown"),
        ("notes", b"[BEiT](https://arxiv.org/abs/2106.08254) is good", "markdown"),
        ("seed", SEED.read_bytes()[:4096], "text"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(Path(name), head) == expected


def test_read_file_with_forced_format(tmp_path: Path) -> None:
    path = tmp_path / "refs.txt"
    path.write_text("@misc{k, title = {Forced}}\n")
    assert read_file(path).header == "@misc{k, title = {Forced}}"
    assert read_file(path, "bibtex").papers[0].title == "Forced"


def test_formats_constant_and_every_format_exports_an_empty_list() -> None:
    assert FORMATS == ("text", "markdown", "bibtex", "json")
    for fmt in FORMATS:
        assert isinstance(export([], fmt), str)
        assert isinstance(parse(export([], fmt), fmt), ParseResult)


# ---------------------------------------------------------------- JSON


def test_json_round_trip_keeps_everything() -> None:
    papers = shipped_papers()
    papers[0].extra["future_field"] = {"nested": [1, 2]}
    out = export(papers, "json")
    assert json.loads(out)[0]["key"] == "berner2021modern"
    back = parse(out, "json")
    assert back.papers == papers
    assert back.problems == []


def test_json_reads_a_tinydb_log_file() -> None:
    result = read_file(SHIPPED)
    assert [p.key for p in result.papers] == [p.key for p in shipped_papers()]


def test_json_list_without_keys_and_with_bad_records(tmp_path: Path) -> None:
    path = tmp_path / "papers.json"
    path.write_text(
        json.dumps(
            [
                {"title": "Keyless paper", "year": 2020},
                {"title": ""},
                "not an object",
                {"title": "Bad year", "year": "soon"},
                {"key": "kept2021", "title": "Keyed"},
            ]
        )
    )
    result = read_file(path)
    assert [(p.key, p.title) for p in result.papers] == [
        ("", "Keyless paper"),
        ("kept2021", "Keyed"),
    ]
    assert len(result.problems) == 3
    assert result.problems[0].startswith("entry 2:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('"a string"', "expected a JSON list of papers"),
        ('{"papers": 3}', "neither an object nor a list"),
    ],
)
def test_bad_json_is_a_format_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(FormatError) as info:
        read_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
