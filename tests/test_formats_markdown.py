"""Markdown: awesome lists and reading logs in, a readable log out that reads back the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paper_tui.formats import export, parse, read_file
from paper_tui.formats import markdown as md
from paper_tui.model import Paper, normalize_tags

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "entries.json"


def shipped_papers() -> list[Paper]:
    table = json.loads(SHIPPED.read_text(encoding="utf-8"))["papers"]
    return [Paper.from_dict(table[k]) for k in sorted(table, key=int)]


def by_title(papers: list[Paper]) -> dict[str, Paper]:
    return {p.title: p for p in papers}


# ---------------------------------------------------------------- an awesome list


@pytest.fixture(scope="module")
def awesome() -> list[Paper]:
    result = read_file(DATA / "awesome_vision_transformers.md")
    assert result.problems == []
    return result.papers


def test_awesome_list_finds_every_paper_and_nothing_else(awesome: list[Paper]) -> None:
    assert [p.title for p in awesome] == [
        "A Survey of Transformers",
        "The Modern Mathematics of Deep Learning",
        "BEiT: BERT Pre-Training of Image Transformers",
        "Revisiting Contrastive Methods for Unsupervised Learning of Visual Representations",
        "Emerging Properties in Self-Supervised Vision Transformers",
        "DETReg: Unsupervised Pretraining with Region Priors for Object Detection",
        "You Only Look at One Sequence: Rethinking Transformer in Vision through Object Detection",
        "End-to-End Object Detection with Transformers",
        "Chasing Sparsity in Vision Transformers: An End-to-End Exploration",
        "Scaling Vision with Sparse Mixture of Experts",
        "CAT: Cross Attention in Vision Transformer",
    ]
    assert all(p.key == "" for p in awesome)


def test_awesome_list_headings_become_tags(awesome: list[Paper]) -> None:
    papers = by_title(awesome)
    assert papers["A Survey of Transformers"].tags == ["surveys"]
    assert papers[
        "DETReg: Unsupervised Pretraining with Region Priors for Object Detection"
    ].tags == [
        "object-detection",
        "detr-family",
    ]
    assert papers["End-to-End Object Detection with Transformers"].tags == [
        "object-detection",
        "物体検出-日本語メモ",
    ]
    # The document's title heading is not a tag.
    assert not any("awesome" in t for p in awesome for t in p.tags)


def test_awesome_list_links_ids_and_comments(awesome: list[Paper]) -> None:
    papers = by_title(awesome)
    survey = papers["A Survey of Transformers"]
    assert survey.arxiv_id == "2106.04554"
    assert survey.url == "https://arxiv.org/abs/2106.04554"
    assert survey.comment == "Tianyang Lin et al. A taxonomy of X-formers."
    modern = papers["The Modern Mathematics of Deep Learning"]
    assert modern.arxiv_id == "2105.04026"  # from a /pdf/ link
    assert modern.comment == "not a ViT paper, but a good survey."
    beit = papers["BEiT: BERT Pre-Training of Image Transformers"]
    assert beit.arxiv_id == "2106.08254"
    assert (beit.venue, beit.year) == ("ICLR 2022", 2022)
    assert beit.comment == "masked image modeling with a dVAE tokenizer."
    detr = papers["End-to-End Object Detection with Transformers"]
    assert detr.doi == "10.1007/978-3-030-58452-8_13"
    assert detr.arxiv_id == ""
    assert detr.comment == "検出をset predictionとして解く。NMS不要。"


def test_awesome_list_code_links_and_nested_notes(awesome: list[Paper]) -> None:
    papers = by_title(awesome)
    assert (
        papers[
            "Revisiting Contrastive Methods for Unsupervised Learning of Visual Representations"
        ].comment
        == ""
    )  # only a [[code](...)] link after the title
    dino = papers["Emerging Properties in Self-Supervised Vision Transformers"]
    assert dino.url == "https://arxiv.org/abs/2104.14294"  # the [paper] link, not the code
    assert dino.arxiv_id == "2104.14294"
    assert (
        dino.comment == "DINO: self-distillation with no labels.\nAttention maps segment objects."
    )
    yolos = papers[
        "You Only Look at One Sequence: Rethinking Transformer in Vision through Object Detection"
    ]
    assert yolos.comment == "YOLOS: ViT as a detector."  # the nested [Code] item adds nothing


def test_awesome_list_table_rows(awesome: list[Paper]) -> None:
    papers = by_title(awesome)
    chasing = papers["Chasing Sparsity in Vision Transformers: An End-to-End Exploration"]
    assert (chasing.venue, chasing.year, chasing.arxiv_id) == ("NeurIPS 2021", 2021, "2106.04533")
    assert chasing.comment == "Sparse training of ViTs."
    assert chasing.tags == ["efficient-models"]
    cat = papers["CAT: Cross Attention in Vision Transformer"]
    assert (cat.venue, cat.comment) == ("ICME 2022", "Locality and pyramid")


def test_table_with_title_column_and_generic_link_column() -> None:
    text = """\
## 読んだ論文

| タイトル | 著者 | 年 | リンク | メモ | タグ |
|---|---|---|---|---|---|
| Deep Residual Learning for Image Recognition | Kaiming He, Xiangyu Zhang | 2016 \
| [arXiv](https://arxiv.org/abs/1512.03385) | 残差接続。 | cnn, imagenet |
| Attention Is All You Need | Ashish Vaswani and Noam Shazeer | 2017 \
| [pdf](https://arxiv.org/pdf/1706.03762) | Transformer の原典 | nlp |
| | | | | empty row | |
"""
    result = parse(text, "markdown")
    assert [(p.title, p.year, p.arxiv_id) for p in result.papers] == [
        ("Deep Residual Learning for Image Recognition", 2016, "1512.03385"),
        ("Attention Is All You Need", 2017, "1706.03762"),
    ]
    resnet, attention = result.papers
    assert resnet.authors == ["Kaiming He", "Xiangyu Zhang"]
    assert attention.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert resnet.comment == "残差接続。"
    assert resnet.tags == ["読んだ論文", "cnn", "imagenet"]
    assert attention.url == "https://arxiv.org/pdf/1706.03762"


def test_list_item_separators_and_bold_titles() -> None:
    text = """\
- [Paper One](https://example.org/1) - dash comment
- [Paper Two](https://example.org/2): colon comment
- [Paper Three](https://example.org/3) — em dash comment
+ [Paper Four](https://example.org/4)
  continued on a second line
1. **Paper Five** ([pdf](https://example.org/5.pdf), [code](https://github.com/x/y)) good one
- a bullet with no link at all
- [](https://example.org/empty)
- [![badge](https://img.shields.io/x.svg)](https://example.org/badge)
- [an anchor](#somewhere)
"""
    result = parse(text, "markdown")
    assert [(p.title, p.url, p.comment) for p in result.papers] == [
        ("Paper One", "https://example.org/1", "dash comment"),
        ("Paper Two", "https://example.org/2", "colon comment"),
        ("Paper Three", "https://example.org/3", "em dash comment"),
        ("Paper Four", "https://example.org/4", "continued on a second line"),
        ("Paper Five", "https://example.org/5.pdf", "good one"),
    ]
    assert result.problems == ["entry 6 (line 8): a link without a title, skipped"]


def test_user_written_heading_log_without_metadata() -> None:
    text = """\
# 2021年の読書ログ

## Vision

### [CoAtNet](https://arxiv.org/abs/2106.04803)

Google論文。ConvとAttentionのHybrid。

二段落目もコメント。

#### 細かいメモ

- ImageNetで86.9%

### [Rethinking "Batch" in BatchNorm](https://arxiv.org/abs/2105.07576)

Tags: fair, batchnorm

FAIR論文。

## Not a paper heading

- [Scaling Vision with Sparse Mixture of Experts](https://arxiv.org/abs/2106.05974)
"""
    result = parse(text, "markdown")
    coatnet, batch, moe = result.papers
    assert (coatnet.title, coatnet.arxiv_id, coatnet.tags) == ("CoAtNet", "2106.04803", ["vision"])
    assert coatnet.comment == (
        "Google論文。ConvとAttentionのHybrid。\n\n二段落目もコメント。\n\n細かいメモ\n\nImageNetで86.9%"
    )
    assert batch.title == 'Rethinking "Batch" in BatchNorm'
    assert batch.tags == ["vision", "fair", "batchnorm"]
    assert batch.comment == "FAIR論文。"
    assert moe.tags == ["not-a-paper-heading"]


# ---------------------------------------------------------------- export


def test_export_is_a_readable_reading_log() -> None:
    paper = Paper(
        key="bao2021beit",
        title="BEiT: BERT Pre-Training of Image_Transformers [v2]",
        authors=["Hangbo Bao", "Li Dong"],
        year=2021,
        arxiv_id="2106.08254",
        venue="ICLR 2022",
        tags=["vit", "google"],
        comment="Microsoft論文。*Self-supervised* の手法。\n# not a heading\nTags: not tags",
    )
    out = md.export([paper])
    assert out == (
        "# Reading log\n\n"
        "## [BEiT: BERT Pre-Training of Image\\_Transformers \\[v2\\]]"
        "(https://arxiv.org/abs/2106.08254)\n\n"
        "_Hangbo Bao, Li Dong · 2021 · **ICLR 2022** · arXiv:2106.08254_\n\n"
        "Tags: #vit #google\n\n"
        "Microsoft論文。\\*Self-supervised\\* の手法。\n\\# not a heading\nTags: not tags\n"
    )
    back = parse(out, "markdown").papers
    assert len(back) == 1
    assert back[0].title == paper.title
    assert back[0].comment == paper.comment
    assert back[0].tags == ["vit", "google"]


def test_shipped_log_round_trips_through_markdown() -> None:
    papers = shipped_papers()
    back = parse(export(papers, "markdown"), "markdown")
    assert back.problems == []
    assert len(back.papers) == len(papers)
    for old, new in zip(papers, back.papers, strict=True):
        assert (new.title, new.link, new.arxiv_id, new.doi) == (
            old.title,
            old.link,
            old.arxiv_id,
            old.doi,
        )
        assert (new.authors, new.year, new.venue) == (old.authors, old.year, old.venue)
        assert (new.tags, new.comment) == (old.tags, old.comment)


def test_paper_without_link_and_odd_urls_round_trip() -> None:
    papers = [
        Paper(key="a", title="No link at all", comment="but a comment"),
        Paper(key="b", title="Spaces", url="https://example.org/a paper (v2).pdf"),
        Paper(key="c", title="Parens", url="https://en.wikipedia.org/wiki/Foo_(bar)?a=1&amp;b=2"),
        Paper(key="d", title="Angle", url="https://example.org/<x>\\y"),
        Paper(key="e", title="DOI only", doi="10.1000/a(b)_c<d>"),
    ]
    back = parse(md.export(papers), "markdown").papers
    assert [p.link for p in back] == [p.link for p in papers]
    assert back[0].comment == "but a comment"
    assert back[4].doi == "10.1000/a(b)_c<d>"


@pytest.mark.parametrize(
    "comment",
    [
        "Tags: #looks #like #tags",
        "tags : also",
        "# heading?",
        "- item\n+ item\n* item",
        "1. first\n2) second\n10. tenth",
        "> quote",
        "line\n===",
        "line\n---",
        "```\ncode\n```",
        "~~~\ncode",
        "    indented code",
        "<div>html</div>",
        "&amp; &#65; &#x41; & plain",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "ends with backslash\\\nnext",
        "trailing spaces   \nnext",
        "[ref]: https://example.org",
        "![image](https://example.org/x.png)",
        "<https://autolink.example>",
        "**bold** __bold__ _em_ *em* `code`",
        "\\*already escaped\\*",
        "_Hangbo Bao · 2021_",
        "全角スペース\u3000入り　コメント",
    ],
)
def test_markup_in_comments_survives(comment: str) -> None:
    paper = Paper(key="k", title="T", tags=["x"], comment=comment)
    back = parse(md.export([paper]), "markdown").papers
    assert len(back) == 1
    assert back[0].comment == md.normalize_comment(comment)
    assert back[0].tags == ["x"]
    assert back[0].authors == []


# ---------------------------------------------------------------- hypothesis round trip

_MARKUP = [*"[]()*_`#<>!&|\\~-+=.:;'\"$^{}·、。「」（）", "&amp;", "&#65;", "Tags:", "http://"]
_JAPANESE = st.one_of(
    st.characters(min_codepoint=0x3041, max_codepoint=0x30FF),  # kana
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # kanji
)
_ATOMS = st.one_of(
    st.sampled_from(_MARKUP),
    _JAPANESE,
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from([" ", " ", "\u3000", "\t"]),
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
)
_TEXT = st.lists(_ATOMS, max_size=30).map("".join)
_LINE = _TEXT.map(md.one_line)
_COMMENT = st.lists(st.one_of(_ATOMS, st.just("\n"), st.just("\n\n")), max_size=80).map("".join)
_NAME = _LINE.filter(
    lambda s: (
        bool(s)
        and "," not in s
        and "·" not in s
        and not s.isdigit()
        and not s.lower().startswith(("arxiv:", "doi:"))
    )
)
_URL = st.one_of(
    st.just(""),
    st.lists(st.sampled_from(list("abcXYZ019-._~()&;/ <>?=#%論文")), min_size=1, max_size=20).map(
        lambda cs: "https://example.org/" + "".join(cs)
    ),
)


@st.composite
def papers(draw: st.DrawFn) -> Paper:
    return Paper(
        key="k",
        title=draw(_LINE.filter(bool)),
        authors=draw(st.lists(_NAME, max_size=4)),
        year=draw(st.one_of(st.none(), st.integers(1000, 2100))),
        arxiv_id=draw(st.one_of(st.just(""), st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True))),
        venue=draw(st.one_of(st.just(""), _LINE)),
        doi=draw(
            st.one_of(
                st.just(""),
                st.from_regex(r"10\.\d{4,9}/[A-Za-z0-9._;()/<>\[\]-]{1,12}", fullmatch=True),
            )
        ),
        url=draw(_URL),
        tags=draw(st.lists(_LINE, max_size=4)),
        comment=draw(_COMMENT),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(papers(), min_size=1, max_size=4))
@example(
    [
        Paper(
            key="k",
            title="*S$^2$-MLP* [x] _y_ `z` #1 \\ <b> 論文「テスト」",
            authors=["山田 太郎", "O'Neil_Jr*"],
            year=2021,
            venue="**ICLR** 2022 · _W_",
            tags=["c++", "foo_bar", "日本語"],
            comment="Tags: no\n\n- 箇条書き\n1. 番号\n\n\n> 引用 _強調_ **太字**",
        )
    ]
)
def test_markdown_round_trip(items: list[Paper]) -> None:
    out = md.export(items)
    result = md.parse(out)
    assert result.problems == []
    assert len(result.papers) == len(items)
    for old, new in zip(items, result.papers, strict=True):
        assert new.title == md.one_line(old.title)
        assert new.link == md.one_line(old.link)
        assert new.arxiv_id == old.arxiv_id
        assert new.doi == old.doi
        assert new.authors == [md.one_line(a) for a in old.authors]
        assert new.year == old.year
        assert new.venue == md.one_line(old.venue)
        assert new.tags == normalize_tags(old.tags)
        assert new.comment == md.normalize_comment(old.comment)


def test_thousands_of_generated_papers() -> None:
    items = [
        Paper(
            key=f"k{i}",
            title=f"論文 {i}: Learning *Things* with [Brackets]_{i}",
            authors=[f"著者 {i}", "Ada Lovelace"],
            year=2000 + i % 25,
            arxiv_id=f"2106.{i:05d}",
            tags=["生成", f"t{i % 7}"],
            comment=f"コメント{i}。\n二行目 _{i}_",
        )
        for i in range(3000)
    ]
    back = parse(export(items, "markdown"), "markdown").papers
    assert len(back) == 3000
    assert back[2999].title == items[2999].title
    assert back[2999].comment == items[2999].comment
    assert back[1234].arxiv_id == "2106.01234"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "# ",
                    "## ",
                    "- ",
                    "1. ",
                    "  ",
                    "\n",
                    "\n\n",
                    "| a | b |\n|---|---|\n",
                    "> ",
                    "[t](https://x.org/a)",
                    "[](https://x.org)",
                    "![i](https://x.org/i.png)",
                    "_",
                    "*",
                    "**",
                    "`",
                    "Tags: #a",
                    "<div>",
                    "```\n",
                    "[",
                    "](",
                    ")",
                    "論文",
                ]
            ),
            st.text(max_size=5),
        ),
        max_size=40,
    ).map("".join)
)
def test_any_markdown_parses_without_raising(text: str) -> None:
    result = parse(text, "markdown")
    assert all(p.title.strip() for p in result.papers)
