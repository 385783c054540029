"""BibTeX in (bibtexparser v2 + pylatexenc) and out (cite.bibtex), with a hand-edited library."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paper_tui import cite
from paper_tui.formats import FormatError, export, parse, read_file
from paper_tui.formats import bibtex as bib
from paper_tui.model import Paper

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "entries.json"


def shipped_papers() -> list[Paper]:
    table = json.loads(SHIPPED.read_text(encoding="utf-8"))["papers"]
    return [Paper.from_dict(table[k]) for k in sorted(table, key=int)]


@pytest.fixture(scope="module")
def library() -> tuple[dict[str, Paper], list[Paper], list[str]]:
    result = read_file(DATA / "library.bib")
    return {p.key: p for p in result.papers if p.key}, result.papers, result.problems


def test_library_problems_are_reported_not_raised(
    library: tuple[dict[str, Paper], list[Paper], list[str]],
) -> None:
    _, papers, problems = library
    assert len(papers) == 10
    assert problems[0].startswith("entry 8 (line 75): could not be parsed (")
    assert problems[0].endswith("), skipped")
    assert problems[1] == "entry 9 (line 80): no title, skipped"
    assert problems[2] == (
        "entry 12 (line 105): the key 'bao2021beit' is used twice; imported with a new key"
    )
    assert len(problems) == 3
    second = papers[-1]
    assert (second.key, second.title) == ("", "A second entry that reuses the key bao2021beit")


def test_latex_accents_and_braces_become_unicode(
    library: tuple[dict[str, Paper], list[Paper], list[str]],
) -> None:
    keyed, _, _ = library
    causal = keyed["schoelkopf2021causal"]
    assert causal.authors[0] == "Bernhard Schölkopf"
    assert causal.venue == "Proceedings of the IEEE"
    erdos = keyed["erdos1959"]
    assert erdos.title == "On Random Graphs I"
    assert erdos.authors == ["Paul Erdős", "Alfréd Rényi"]
    garcia = keyed["garcia2020"]
    assert garcia.title == "Café con leña: Ångström-scale models & naïve priors"
    assert garcia.authors == ["José García", "Jürgen Müller", "María de la Cruz"]
    beit = keyed["bao2021beit"]
    assert beit.title == "BEiT: BERT Pre-Training of Image Transformers"


def test_authors_are_first_last_with_particles(
    library: tuple[dict[str, Paper], list[Paper], list[str]],
) -> None:
    keyed, _, _ = library
    assert keyed["vangansbeke2021revisiting"].authors == [
        "Wouter Van Gansbeke",
        "Simon Vandenhende",
        "Stamatios Georgoulis",
        "Luc Van Gool",
    ]
    assert keyed["bao2021beit"].authors == ["Hangbo Bao", "Li Dong", "Songhao Piao", "Furu Wei"]
    assert keyed["yu2021s2mlp"].authors[-1] == "Ping Li"  # already "First Last" in the file


def test_arxiv_ids_from_eprint_journal_and_dblp(
    library: tuple[dict[str, Paper], list[Paper], list[str]],
) -> None:
    keyed, _, _ = library
    s2mlp = keyed["yu2021s2mlp"]
    assert (s2mlp.arxiv_id, s2mlp.primary_class, s2mlp.entry_type) == (
        "2106.07477",
        "cs.CV",
        "misc",
    )
    assert s2mlp.title == "S$^2$-MLP: Spatial-Shift MLP Architecture for Vision"  # math kept
    survey = keyed["lin2021survey"]  # Google Scholar: journal = {arXiv preprint arXiv:...}
    assert (survey.arxiv_id, survey.venue, survey.entry_type) == ("2106.04554", "", "misc")
    coatnet = keyed["DBLP:journals/corr/abs-2106-04803"]  # DBLP: CoRR abs/...
    assert (coatnet.arxiv_id, coatnet.venue, coatnet.volume) == ("2106.04803", "", "")
    beit = keyed["bao2021beit"]
    assert beit.arxiv_id == "2106.08254"


def test_other_fields_map_onto_the_paper(
    library: tuple[dict[str, Paper], list[Paper], list[str]],
) -> None:
    keyed, _, _ = library
    causal = keyed["schoelkopf2021causal"]
    assert (causal.entry_type, causal.volume, causal.pages, causal.year) == (
        "article",
        "109",
        "612-634",
        2021,
    )
    assert (causal.doi, causal.publisher) == ("10.1109/JPROC.2021.3058954", "IEEE")
    beit = keyed["bao2021beit"]
    assert beit.venue == "ICLR 2022"  # the proceedings title cite.booktitle writes, read back
    assert beit.tags == ["vit", "self-supervised", "microsoft"]
    assert beit.comment == "Masked image modeling. 86.3% top-1 with ViT-B"  # bare % kept
    modern = keyed["berner2021modern"]
    assert modern.doi == "10.1017/9781009025096.002"  # from a doi.org URL
    assert modern.entry_type == "incollection"
    assert modern.comment == "Deep learningのモヤモヤしたところを数学的に体系立ててみた質問集。"
    revisiting = keyed["vangansbeke2021revisiting"]
    assert revisiting.venue == "Advances in Neural Information Processing Systems"  # @string
    assert revisiting.url.startswith("https://proceedings.neurips.cc/paper/2021/hash/")
    garcia = keyed["garcia2020"]
    assert garcia.url == "https://example.org/reports/tr_2020_17.pdf"  # \_ in a URL unescaped
    assert (garcia.entry_type, garcia.publisher) == ("misc", "Université de Montréal")


def test_known_proceedings_titles_read_back_as_short_venues() -> None:
    text = """@inproceedings{x,
      title = {X}, year = {2021},
      booktitle = {Advances in Neural Information Processing Systems (NeurIPS)}}"""
    assert parse(text, "bibtex").papers[0].venue == "NeurIPS 2021"


def test_export_is_cites_bibtex_with_tags_and_comments() -> None:
    papers = shipped_papers()
    assert export(papers, "bibtex") == cite.cite(papers, "bibtex", full=True)
    back = parse(export(papers, "bibtex"), "bibtex").papers
    assert [p.tags for p in back] == [p.tags for p in papers]
    assert [p.comment for p in back] == [p.comment for p in papers]


def test_shipped_log_round_trips_through_bibtex() -> None:
    papers = shipped_papers()
    result = parse(export(papers, "bibtex"), "bibtex")
    assert result.problems == []
    for old, new in zip(papers, result.papers, strict=True):
        assert (new.key, new.title, new.authors) == (old.key, old.title, old.authors)
        assert (new.arxiv_id, new.doi, new.link) == (old.arxiv_id, old.doi, old.link)
        assert new.kind == old.kind
        # inproceedings carry the venue's year (CVPR 2022), the log the paper's (2021).
        assert new.year == cite.citation_year(old)
        assert new.venue == (old.venue if old.kind != "article" else cite.split_venue(old.venue)[0])


def test_cites_bibtex_is_valid_for_pybtex_too() -> None:
    from pybtex.database import parse_string

    data = parse_string(export(shipped_papers(), "bibtex"), "bibtex")
    assert len(data.entries) == 21


def test_percent_in_a_note_does_not_eat_the_rest() -> None:
    text = "@misc{k, title = {T}, note = {top-1 86.9% (+2%) on ImageNet\n\nsecond paragraph}}"
    assert parse(text, "bibtex").papers[0].comment == (
        "top-1 86.9% (+2%) on ImageNet\n\nsecond paragraph"
    )


def test_invalid_keys_and_dois_and_years_are_not_fatal() -> None:
    text = """@article{has space,
      title = {Bad key}, doi = {not-a-doi}, year = {in press}, author = {Doe, J. and others}}"""
    result = parse(text, "bibtex")
    paper = result.papers[0]
    assert paper.title == "Bad key"
    assert paper.authors == ["J. Doe"]
    assert paper.doi == ""
    assert paper.year is None
    assert any("DOI 'not-a-doi'" in p for p in result.problems)
    assert any("year 'in press'" in p for p in result.problems)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "% only a comment\n",
        "@",
        "@article{",
        "@article{x, title = {unclosed",
        "@comment{whatever}",
        "@string{a = {b}}",
        "@misc{x, title = a # b}",
        "}}}}@@@{{{",
        "@misc{x, title = {" + "{" * 500 + "}" * 500 + "}}",
    ],
)
def test_garbage_never_raises(text: str) -> None:
    result = parse(text, "bibtex")
    assert all(p.title for p in result.papers)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('@{}=,"%#\\ \nabcé論x0')), max_size=120))
def test_fuzz_only_format_errors(text: str) -> None:
    with contextlib.suppress(FormatError):
        parse(text, "bibtex")


def test_thousands_of_entries_with_japanese_text() -> None:
    entries = [
        f'@inproceedings{{key{i},\n  title = {{{{第{i}回}} Sch{{\\"o}}n {{BERT}} 学習 {i}}},\n'
        f'  author = {{山田, 太郎 and M{{\\"u}}ller, Anna}},\n  year = {{{2000 + i % 25}}},\n'
        f"  booktitle = {{会議 {i}}},\n  note = {{コメント{i}。}}\n}}\n"
        for i in range(3000)
    ]
    result = parse("\n".join(entries), "bibtex")
    assert result.problems == []
    assert len(result.papers) == 3000
    last = result.papers[-1]
    assert last.key == "key2999"
    assert last.title == "第2999回 Schön BERT 学習 2999"
    assert last.authors == ["太郎 山田", "Anna Müller"]
    assert last.comment == "コメント2999。"


# ---------------------------------------------------------------- round trip of generated papers

_LIGATURES = re.compile(r"--|``|''|[?!]`")
_WORD = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßøÅ")),
        st.characters(min_codepoint=0x3041, max_codepoint=0x30FF),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    ),
    min_size=1,
    max_size=8,
)
_TITLE_CHARS = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="$"),
    st.characters(min_codepoint=0x3041, max_codepoint=0x30FF),
    st.sampled_from(list("éüß—“”…")),
)
_TITLE = (
    st.text(alphabet=_TITLE_CHARS, min_size=1, max_size=60)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: bool(s) and not _LIGATURES.search(s) and s[0] != "@")
)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join).filter(lambda n: n != "others")


@st.composite
def misc_papers(draw: st.DrawFn) -> Paper:
    return Paper(
        key=draw(st.from_regex(r"[a-z]{1,8}[0-9]{4}[a-z]{1,6}", fullmatch=True)),
        title=draw(_TITLE),
        authors=draw(st.lists(_NAME, max_size=4)),
        year=draw(st.one_of(st.none(), st.integers(1000, 2100))),
        arxiv_id=draw(st.one_of(st.just(""), st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True))),
        entry_type="misc",
        venue=draw(st.one_of(st.just(""), _NAME.filter(lambda v: not bib._ARXIV_JOURNAL.match(v)))),
        doi=draw(
            st.one_of(
                st.just(""), st.from_regex(r"10\.\d{4,9}/[A-Za-z0-9._;()/-]{1,12}", fullmatch=True)
            )
        ),
        pages=draw(
            st.one_of(
                st.just(""), st.from_regex(r"[1-9][0-9]{0,3}-[1-9][0-9]{0,3}", fullmatch=True)
            )
        ),
        publisher=draw(st.one_of(st.just(""), _NAME)),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(misc_papers(), min_size=1, max_size=5, unique_by=lambda p: p.key))
# A name with the word "and" in it, in any case, stays one name (found by CI).
@example([Paper(key="a0000a", title="0", authors=["AND A A", "Ann and Bob Smith"])])
def test_bibtex_round_trip(items: list[Paper]) -> None:
    result = bib.parse(bib.export(items))
    assert result.problems == []
    assert len(result.papers) == len(items)
    for old, new in zip(items, result.papers, strict=True):
        assert (new.key, new.title, new.authors) == (old.key, old.title, old.authors)
        assert (new.year, new.arxiv_id, new.doi, new.link) == (
            old.year,
            old.arxiv_id,
            old.doi,
            old.link,
        )
        assert (new.venue, new.pages, new.publisher) == (old.venue, old.pages, old.publisher)
