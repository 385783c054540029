"""The library's filters, sorts, caches and incremental upkeep.

Two references: a brute-force model of the filter and sort rules written out
plainly below (`reference_view`), and a freshly built `Library` of the same
papers, which every sequence of edits must leave the kept-current one equal to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import chain

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paper_tui.model import STATUSES, Paper, plain_text
from paper_tui.search import Filter, Library, _haystacks, haystack, split_haystack

# ---------------------------------------------------------------- the reference


def reference_haystack(paper: Paper) -> str:
    return "\n".join(
        (
            plain_text(paper.title),
            paper.title,
            " ".join(paper.authors),
            paper.comment,
            " ".join(paper.tags),
            paper.key,
            paper.venue,
            paper.arxiv_id,
            str(paper.year or ""),
        )
    ).casefold()


def reference_view(papers: list[Paper], flt: Filter, sort: str = "added") -> list[Paper]:
    terms = flt.query.casefold().split()
    out = []
    for p in papers:
        tags = set(p.tags)
        if flt.tags:
            if flt.tag_mode == "any":
                if tags.isdisjoint(flt.tags):
                    continue
            elif not set(flt.tags) <= tags:
                continue
        if flt.status in STATUSES and p.status != flt.status:
            continue
        if flt.starred and not p.starred:
            continue
        hay = reference_haystack(p)
        if all(t in hay for t in terms):
            out.append(p)
    if sort == "title":
        out.sort(key=lambda p: plain_text(p.title).casefold())
    elif sort == "year":
        out.sort(key=lambda p: -(p.year or 0))
    elif sort == "edited":
        out.sort(key=lambda p: p.edited or p.added, reverse=True)
    return out


def reference_counts(papers: list[Paper]) -> Counter[str]:
    return Counter(chain.from_iterable(set(p.tags) for p in papers))


def keys(papers: list[Paper]) -> list[str]:
    return [p.key for p in papers]


def check_view(lib: Library, flt: Filter, sort: str) -> None:
    """`lib`'s view equals the reference's, and so do its tag counts."""
    slots = lib.view_slots(flt, sort)
    got = [lib.paper_at(s) for s in slots]
    want = reference_view(lib.papers(), flt, sort)
    assert keys(got) == keys(want), (flt, sort)
    assert lib.tag_counts(slots) == reference_counts(want), (flt, sort)
    assert +lib.tag_counts(slots) == lib.tag_counts(slots), "no zero counts"


def check_same(lib: Library, views: list[tuple[Filter, str]]) -> None:
    """`lib` answers exactly like a library freshly built from its papers."""
    fresh = Library(lib.papers())
    assert keys(lib.papers()) == keys(fresh.papers())
    assert lib.all_tags() == fresh.all_tags() == reference_counts(lib.papers())
    assert set(lib.all_tags()) == set(fresh.all_tags())
    assert len(lib) == len(fresh)
    assert lib.keys() == fresh.keys()
    for flt, sort in views:
        mine = lib.view_slots(flt, sort)
        theirs = fresh.view_slots(flt, sort)
        assert keys([lib.paper_at(s) for s in mine]) == keys([fresh.paper_at(s) for s in theirs])
        assert lib.tag_counts(mine) == fresh.tag_counts(theirs)
    for p in lib.papers():
        assert lib.position(p.key) == fresh.position(p.key)


def paper(key: str, title: str = "A Title", **kw: object) -> Paper:
    return Paper(key=key, title=title, **kw)  # type: ignore[arg-type]


def sample() -> list[Paper]:
    return [
        paper(
            "vaswani2017",
            "Attention Is All You Need",
            authors=["Ashish Vaswani", "Noam Shazeer"],
            year=2017,
            tags=["transformer", "nlp"],
            comment="The transformer paper. 読んだ。",
            status="read",
            starred=True,
            added="2020-01-01",
            edited="2024-05-01T10:00:00+00:00",
        ),
        paper(
            "dosovitskiy2021",
            "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
            authors=["Alexey Dosovitskiy"],
            year=2021,
            tags=["vit", "transformer", "vision"],
            comment="ViT. 画像をパッチに分割する。",
            status="skimmed",
            added="2021-01-01",
        ),
        paper(
            "yu2022",
            "S$^2$-MLP: Spatial-Shift MLP Architecture for Vision",
            authors=["鈴木 一郎"],
            year=2022,
            tags=["mlp", "vision"],
            comment="データセットでも試したい。",
            status="unread",
            added="2022-03-01",
        ),
        paper(
            "schon2019",
            'Sch{\\"o}n Straße: $\\ell_1$ Methods',
            authors=["Bernhard Schön"],
            year=None,
            tags=["theory"],
            comment="GROSS Strasse",
            status="unread",
            starred=True,
            added="2019-06-01",
            edited="2024-01-01T00:00:00+00:00",
        ),
        paper(
            "anon2020",
            "Another Vision Transformer",
            year=2020,
            tags=["vit", "vision"],
            comment="",
            status="read",
            added="2020-02-02",
        ),
    ]


# ---------------------------------------------------------------- filters


def test_query_terms_all_must_match_anywhere() -> None:
    lib = Library(sample())
    assert keys(lib.view(Filter(query="vision transformer"))) == ["dosovitskiy2021", "anon2020"]
    assert keys(lib.view(Filter(query="transformer image"))) == ["dosovitskiy2021"]
    assert keys(lib.view(Filter(query="transformer"))) == [
        "vaswani2017",
        "dosovitskiy2021",
        "anon2020",
    ]
    assert keys(lib.view(Filter(query="  shazeer  "))) == ["vaswani2017"]
    assert keys(lib.view(Filter(query="2017"))) == ["vaswani2017"]  # the year
    assert keys(lib.view(Filter(query="yu2022"))) == ["yu2022"]  # the key
    assert lib.view(Filter(query="transformer nothing-like-this")) == []


def test_query_is_case_insensitive_including_japanese_and_folding() -> None:
    lib = Library(sample())
    assert keys(lib.view(Filter(query="ATTENTION"))) == ["vaswani2017"]
    assert keys(lib.view(Filter(query="vit"))) == ["dosovitskiy2021", "anon2020"]
    assert keys(lib.view(Filter(query="パッチ"))) == ["dosovitskiy2021"]
    assert keys(lib.view(Filter(query="鈴木"))) == ["yu2022"]
    assert keys(lib.view(Filter(query="データ 試したい"))) == ["yu2022"]
    # casefold: ß matches ss and the other way round; SCHÖN matches the LaTeX title's plain form
    assert keys(lib.view(Filter(query="strasse"))) == ["schon2019"]
    assert keys(lib.view(Filter(query="STRAßE"))) == ["schon2019"]
    assert keys(lib.view(Filter(query="schön"))) == ["schon2019"]
    # Both the plain and the raw LaTeX title are searched.
    assert keys(lib.view(Filter(query="s²-mlp"))) == ["yu2022"]
    assert keys(lib.view(Filter(query="s$^2$"))) == ["yu2022"]


def test_tags_all_and_any() -> None:
    lib = Library(sample())
    both = frozenset({"vit", "transformer"})
    assert keys(lib.view(Filter(tags=both))) == ["dosovitskiy2021"]
    assert keys(lib.view(Filter(tags=both, tag_mode="any"))) == [
        "vaswani2017",
        "dosovitskiy2021",
        "anon2020",
    ]
    assert lib.view(Filter(tags=frozenset({"no-such-tag"}))) == []
    assert lib.view(Filter(tags=frozenset({"no-such-tag", "vit"}))) == []
    assert keys(lib.view(Filter(tags=frozenset({"no-such-tag", "mlp"}), tag_mode="any"))) == [
        "yu2022"
    ]


def test_status_and_starred() -> None:
    lib = Library(sample())
    assert keys(lib.view(Filter(status="unread"))) == ["yu2022", "schon2019"]
    assert keys(lib.view(Filter(status="read", starred=True))) == ["vaswani2017"]
    assert keys(lib.view(Filter(starred=True))) == ["vaswani2017", "schon2019"]
    # An unknown status narrows nothing, as before.
    assert len(lib.view(Filter(status="bogus"))) == 5


def test_combined_filter_and_counts() -> None:
    lib = Library(sample())
    flt = Filter(query="vision", tags=frozenset({"vision"}), status="read")
    slots = lib.view_slots(flt)
    assert keys([lib.paper_at(s) for s in slots]) == ["anon2020"]
    assert lib.tag_counts(slots) == Counter({"vit": 1, "vision": 1})
    everything = lib.view_slots(Filter())
    assert lib.tag_counts(everything) == lib.all_tags()
    assert lib.all_tags()["vision"] == 3
    # A list that is not a view is counted as given.
    assert lib.tag_counts([0, 1]) == Counter({"transformer": 2, "nlp": 1, "vit": 1, "vision": 1})


# ---------------------------------------------------------------- sorts


def test_sorts() -> None:
    lib = Library(sample())
    assert keys(lib.view(sort="added")) == keys(sample())
    assert keys(lib.view(sort="title")) == [
        "dosovitskiy2021",
        "anon2020",
        "vaswani2017",
        "schon2019",
        "yu2022",  # by its plain text "S²-MLP", which sorts after "Schön" ("S$^2$" would not)
    ]
    assert keys(lib.view(sort="year")) == [
        "yu2022",
        "dosovitskiy2021",
        "anon2020",
        "vaswani2017",
        "schon2019",  # no year: last
    ]
    assert keys(lib.view(sort="edited")) == [
        "vaswani2017",
        "schon2019",
        "yu2022",
        "dosovitskiy2021",
        "anon2020",
    ]
    assert keys(lib.view(sort="nonsense")) == keys(sample())
    for sort in ("added", "title", "year", "edited"):
        for flt in (Filter(), Filter(query="vision"), Filter(tags=frozenset({"vision"}))):
            check_view(lib, flt, sort)


def test_sort_ties_keep_the_order_added() -> None:
    papers = [paper(f"k{i}", "Same", year=2020, added="2020-01-01", edited="") for i in range(6)]
    lib = Library(papers)
    for sort in ("title", "year", "edited"):
        assert keys(lib.view(sort=sort)) == [f"k{i}" for i in range(6)]
    lib.replace(replace(papers[2], edited="2030-01-01"))
    assert keys(lib.view(sort="edited")) == ["k2", "k0", "k1", "k3", "k4", "k5"]
    lib.replace(replace(papers[2], edited=""))
    assert keys(lib.view(sort="edited")) == [f"k{i}" for i in range(6)]


# ---------------------------------------------------------------- the search text


def test_bulk_haystacks_equal_per_paper_and_match_the_same_terms() -> None:
    papers = sample()
    assert _haystacks(papers, [p.key for p in papers]) == [haystack(p) for p in papers]
    for p in papers:
        mine, theirs = haystack(p), reference_haystack(p)
        for word in theirs.split():
            for i in range(len(word)):
                assert (word[i:] in mine) == (word[i:] in theirs)


_MIXED = st.text(alphabet="ab ?\n-4éßデータ日本", max_size=30)


@settings(max_examples=300, deadline=None)
@given(comment=_MIXED, term=_MIXED.map(lambda t: "".join(t.split())).filter(bool))
def test_split_search_text_finds_exactly_what_the_whole_text_holds(comment: str, term: str) -> None:
    """ASCII terms scan the ASCII text, others the non-ASCII runs, mixed ones both and
    then the whole text: always the same answer as searching the whole haystack."""
    paper = Paper(key="k", title="T", comment=comment)
    hay = haystack(paper)
    ascii_text, wide = split_haystack(hay)
    assert ascii_text.isascii() and len(ascii_text) == len(hay)
    assert wide.replace("\n", "") == "".join(c for c in hay if not c.isascii())
    lib = Library([paper])
    assert lib._term_flags(term.casefold()) == bytes([term.casefold() in hay])
    assert keys(lib.view(Filter(query=term))) == (["k"] if term.casefold() in hay else [])


# ---------------------------------------------------------------- caches


def test_backspace_returns_the_cached_view() -> None:
    lib = Library(sample())
    seen = {}
    word = "transformer paper"
    for k in range(len(word) + 1):
        flt = Filter(query=word[:k])
        seen[k] = lib.view_slots(flt, "title")
        check_view(lib, flt, "title")
    for k in range(len(word), -1, -1):
        flt = Filter(query=word[:k])
        again = lib.view_slots(flt, "title")
        assert again == seen[k]
        if word[:k].strip():
            assert again is seen[k]  # no rescan
        check_view(lib, flt, "title")


def test_refinement_is_not_stale_after_replace() -> None:
    papers = sample()
    lib = Library(papers)
    for k in range(1, 7):
        lib.view_slots(Filter(query="visionary"[:k]))
    assert keys(lib.view(Filter(query="vision"))) == ["dosovitskiy2021", "yu2022", "anon2020"]
    # The first paper gains the word: the cached views must now include it.
    lib.replace(replace(papers[0], comment="A visionary paper"))
    for k in range(1, 10):
        check_view(lib, Filter(query="visionary"[:k]), "added")
        check_view(lib, Filter(query="visionary"[:k]), "edited")
    # And it loses the word again: the views drop it.
    lib.replace(replace(papers[0], comment="plain"))
    for k in range(9, 0, -1):
        check_view(lib, Filter(query="visionary"[:k]), "added")


def test_replace_keeps_counts_and_orders_exact() -> None:
    papers = sample()
    lib = Library(papers)
    flt = Filter(tags=frozenset({"vision"}))
    for sort in ("title", "year", "edited", "added"):
        lib.view_slots(flt, sort)
    totals_before = lib.all_tags()
    lib.replace(replace(papers[1], tags=["vision", "new"], title="Zzz", year=1999, edited="2099"))
    assert totals_before["vit"] == 2  # the counter handed out is not changed under its holder
    assert lib.all_tags()["vit"] == 1
    assert lib.all_tags()["new"] == 1
    lib.replace(replace(papers[4], tags=[]))
    assert "vit" not in lib.all_tags()
    for sort in ("title", "year", "edited", "added"):
        check_view(lib, flt, sort)
        check_view(lib, Filter(), sort)
    check_same(lib, [(flt, "title"), (Filter(query="zzz"), "year")])


def test_rename_and_remove_and_add() -> None:
    papers = sample()
    lib = Library(papers)
    lib.view_slots(Filter(query="vision"), "title")
    lib.replace(replace(papers[2], key="renamed"), "yu2022")
    assert "yu2022" not in lib and "renamed" in lib
    assert lib.get("renamed") is not None
    gone = lib.remove("vaswani2017")
    assert gone.key == "vaswani2017"
    assert "vaswani2017" not in lib
    with pytest.raises(KeyError):
        lib.add(paper("renamed"))
    lib.add(paper("new1", "A Vision Paper", tags=["vision", "fresh"], added="2025-01-01"))
    check_view(lib, Filter(query="vision"), "title")
    check_same(lib, [(Filter(query="vision"), "title"), (Filter(starred=True), "edited")])


def test_undo_of_a_delete_goes_back_to_its_place() -> None:
    papers = sample()
    lib = Library(papers)
    lib.view_slots(Filter(), "title")
    positions = {p.key: lib.position(p.key) for p in papers}
    assert positions == {p.key: i for i, p in enumerate(papers)}
    for key in ("dosovitskiy2021", "schon2019"):
        lib.remove(key)
    lib.insert_at(positions["dosovitskiy2021"], papers[1])
    lib.insert_at(positions["schon2019"], papers[3])
    assert keys(lib.papers()) == keys(papers)
    check_same(lib, [(Filter(), "title"), (Filter(query="vision"), "added")])
    # A position with no hole there rebuilds, with the same result as a list insert.
    extra = paper("extra", "Extra Paper")
    lib.insert_at(2, extra)
    want = keys(papers)
    want.insert(2, "extra")
    assert keys(lib.papers()) == want
    check_same(lib, [(Filter(), "year")])


def test_status_and_star_changes_reach_new_views() -> None:
    papers = sample()
    lib = Library(papers)
    lib.all_tags()  # the bitmasks exist before the edits
    lib.view_slots(Filter(status="read"))
    lib.replace(replace(papers[2], status="read", starred=True))
    lib.replace(replace(papers[0], status="unread", starred=False))
    for status in ("", *STATUSES):
        for starred in (False, True):
            check_view(lib, Filter(status=status, starred=starred), "year")
    check_same(lib, [(Filter(status="unread", starred=True), "added")])


def test_changed_in_place_then_replaced_is_still_exact() -> None:
    papers = [p.copy() for p in sample()]
    lib = Library(papers)
    lib.view_slots(Filter(tags=frozenset({"vision"})), "year")
    lib.all_tags()
    target = lib.get("anon2020")
    assert target is not None
    target.tags = ["other"]  # against the rules, but the library copes
    target.year = 1990
    lib.replace(target)
    check_view(lib, Filter(tags=frozenset({"vision"})), "year")
    check_same(lib, [(Filter(tags=frozenset({"other"})), "year")])


def test_empty_library() -> None:
    lib = Library()
    assert lib.view_slots(Filter(query="x")) == []
    assert lib.view_slots(Filter(tags=frozenset({"a"})), "title") == []
    assert lib.all_tags() == Counter()
    lib.add(paper("only", "Only One", tags=["a"]))
    check_view(lib, Filter(query="only"), "title")
    lib.remove("only")
    check_view(lib, Filter(query="only"), "title")
    assert len(lib) == 0


# ---------------------------------------------------------------- random sequences

WORDS = [
    "vision",
    "vis",
    "trans",
    "former",
    "ViT",
    "AB",
    "ab",
    "日本語",
    "データ",
    "ß",
    "ss",
    "S$^2$",
    "bert論文",  # ASCII and non-ASCII in one word (searches split them: see split_haystack)
    "gpt-4で",
    "what?",
    "é?x",
]
TAGS = ["a", "b", "c", "vit"]
QUERIES = [
    "",
    "v",
    "vi",
    "vis",
    "visi",
    "vision",
    "vision t",
    "vision tr",
    "trans",
    "former",
    "日",
    "日本",
    "データ",
    "ss",
    "ß",
    "ab",
    "a b",
    "s²",
    "k1",
    "t論",
    "論文",
    "gpt-4で",
    "4で",
    "what?",
    "?",
    "t?",
    "?x",
    "é?",
    "rt論 ab",
]

texts = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)
papers_st = st.builds(
    lambda key, title, comment, tags, status, starred, year, edited, added: Paper(
        key=key,
        title=title or "T",
        comment=comment,
        tags=tags,
        status=status,
        starred=starred,
        year=year,
        edited=edited,
        added=added,
    ),
    key=st.sampled_from([f"k{i}" for i in range(12)]),
    title=texts,
    comment=texts,
    tags=st.lists(st.sampled_from(TAGS), max_size=3),  # duplicates allowed: counted once
    status=st.sampled_from([*STATUSES, "odd"]),
    starred=st.booleans(),
    year=st.sampled_from([None, 0, 2019, 2020, 2021]),
    edited=st.sampled_from(["", "2024-01-01", "2024-01-02"]),
    added=st.sampled_from(["2023-01-01", "2023-02-01"]),
)
filters = st.builds(
    Filter,
    query=st.one_of(st.just(""), st.sampled_from(QUERIES)),
    tags=st.one_of(
        st.just(frozenset()), st.frozensets(st.sampled_from([*TAGS, "zzz"]), max_size=2)
    ),
    tag_mode=st.sampled_from(["all", "any"]),
    status=st.one_of(st.just(""), st.sampled_from([*STATUSES, "odd"])),
    starred=st.one_of(st.just(False), st.booleans()),
)
sorts = st.sampled_from(["added", "title", "year", "edited"])
ops = st.one_of(
    st.tuples(st.just("view"), filters, sorts),
    st.tuples(st.just("type"), st.sampled_from(["vision tr", "データ", "ab ss"]), sorts),
    st.tuples(st.just("replace"), st.integers(0, 20), papers_st),
    st.tuples(st.just("rename"), st.integers(0, 20), papers_st),
    st.tuples(
        st.just("touch"),  # an edit that changes the sort keys only, as saving a comment does
        st.integers(0, 20),
        st.sampled_from(["", "2024-01-01", "2024-01-02", "2025-06-01"]),
        st.sampled_from([None, 2019, 2022]),
        st.sampled_from(["", "ab"]),
    ),
    st.tuples(st.just("add"), papers_st),
    st.tuples(st.just("remove"), st.integers(0, 20)),
    st.tuples(st.just("undo_remove"), st.integers(0, 20)),
    st.tuples(st.just("counts"), filters, sorts),
)


def unique(papers: list[Paper]) -> list[Paper]:
    return list({p.key: p for p in papers}.values())


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(start=st.lists(papers_st, max_size=10).map(unique), steps=st.lists(ops, max_size=25))
def test_random_edits_match_a_fresh_library(start: list[Paper], steps: list[tuple]) -> None:  # type: ignore[type-arg]
    lib = Library(start)
    looked: list[tuple[Filter, str]] = [(Filter(), "added")]
    for step in steps:
        kind = step[0]
        current = lib.papers()
        if kind in ("view", "counts"):
            _, flt, sort = step
            check_view(lib, flt, sort)
            looked.append((flt, sort))
        elif kind == "type":
            _, word, sort = step
            for k in [*range(len(word) + 1), *range(len(word) - 1, -1, -1)]:
                check_view(lib, Filter(query=word[:k]), sort)
            looked.append((Filter(query=word), sort))
        elif kind in ("replace", "rename") and current:
            _, i, new = step
            old = current[i % len(current)]
            if kind == "replace":
                lib.replace(replace(new, key=old.key))
            elif new.key == old.key or new.key not in lib:
                lib.replace(new, old.key)
        elif kind == "touch" and current:
            _, i, edited, year, suffix = step
            shown = lib.view(*looked[-1]) or current  # preferably a paper on screen
            old = shown[i % len(shown)]
            lib.replace(replace(old, edited=edited, year=year, title=old.title + suffix))
        elif kind == "add":
            new = step[1]
            if new.key not in lib:
                lib.add(new)
        elif kind == "remove" and current:
            lib.remove(current[step[1] % len(current)].key)
        elif kind == "undo_remove" and current:
            victim = current[step[1] % len(current)]
            at = lib.position(victim.key)
            lib.remove(victim.key)
            lib.view_slots(Filter(query="vis"), "title")  # something cached in between
            lib.insert_at(at, victim)
            assert keys(lib.papers()) == keys(current)
        # The view on screen is the one just looked at: it must stay right.
        flt, sort = looked[-1]
        check_view(lib, flt, sort)
    standard = [
        (Filter(status=status, starred=starred), sort)
        for status in ("", *STATUSES)
        for starred in (False, True)
        for sort in ("added", "edited")
    ]
    standard += [(Filter(tags=frozenset({t}), tag_mode="any"), "title") for t in TAGS]
    check_same(lib, [*looked[-6:], *standard])
