"""Planning an import: duplicates by arXiv id, DOI or title, merging without overwriting."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from paper_tui.formats import read_file
from paper_tui.importer import ImportPlan, find_duplicate, plan_import
from paper_tui.model import Paper, normalize_title, today_iso

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "entries.json"


def shipped_papers() -> list[Paper]:
    table = json.loads(SHIPPED.read_text(encoding="utf-8"))["papers"]
    return [Paper.from_dict(table[k]) for k in sorted(table, key=int)]


def apply(existing: list[Paper], plan: ImportPlan) -> list[Paper]:
    """What the store would hold after the plan: merged papers replaced, new ones appended."""
    replaced = {old.key: new for old, new in plan.merged}
    return [replaced.get(p.key, p) for p in existing] + plan.added


def test_shipped_entries_into_themselves_add_nothing() -> None:
    papers = shipped_papers()
    before = copy.deepcopy(papers)
    plan = plan_import(papers, shipped_papers())
    assert plan.added == []
    assert plan.merged == []
    assert [reason for _, reason in plan.skipped] == [
        f"already in the log as {p.key}" for p in papers
    ]
    assert plan.summary() == "0 added, 0 merged, 21 skipped"
    assert papers == before


def test_shipped_entries_as_incoming_without_keys_add_nothing() -> None:
    incoming = [p.copy(key="", added="", edited="") for p in shipped_papers()]
    plan = plan_import(shipped_papers(), incoming)
    assert (len(plan.added), len(plan.merged), len(plan.skipped)) == (0, 0, 21)


def test_seed_log_into_the_shipped_log() -> None:
    seed = read_file(DATA / "seed_log.txt").papers
    plan = plan_import(shipped_papers(), seed)
    # The seed's "Beyond BatchNorm: Towards a General Understanding ..." is worded
    # differently from the log's "... a Unified Understanding ...": not the same
    # title, so it is added, with a warning that names the look-alike.
    assert [p.title for p in plan.added] == [
        "Beyond BatchNorm: Towards a General Understanding of Normalization in Deep Learning"
    ]
    assert len(plan.skipped) == 20
    assert plan.merged == []
    assert len(plan.problems) == 1
    assert "lubana2021beyond" in plan.problems[0]
    assert plan.problems[0].startswith("entry 21: ")
    assert plan.summary() == "1 added, 0 merged, 20 skipped, 1 problem"


def test_seed_log_into_an_empty_log() -> None:
    seed = read_file(DATA / "seed_log.txt").papers
    plan = plan_import([], seed, extra_tags=["Seed Log", "#imported", ""])
    assert len(plan.added) == 21
    keys = [p.key for p in plan.added]
    assert len(set(keys)) == 21
    assert keys[:2] == ["anonmodern", "anons2mlp"]
    assert all(p.added == today_iso() for p in plan.added)
    assert all(p.tags == ["seed-log", "imported"] for p in plan.added)
    assert [p.comment for p in plan.added] == [p.comment for p in shipped_papers()]
    assert all(p.key == "" for p in seed)  # the incoming papers are not modified


def test_merge_fills_only_empty_fields_and_keeps_the_comment() -> None:
    existing = [
        Paper(
            key="bao2021beit",
            title="BEiT: BERT Pre-Training of Image Transformers",
            arxiv_id="2106.08254",
            tags=["vit"],
            comment="私のコメント",
            status="read",
            starred=True,
            added="2021-06-20",
        )
    ]
    incoming = [
        Paper(
            key="other",
            title="BEIT: Bert pre-training of image transformers",
            authors=["Hangbo Bao", "Li Dong"],
            year=2021,
            arxiv_id="arXiv:2106.08254v2",
            venue="ICLR 2022",
            tags=["ViT", "Self Supervised"],
            comment="a different comment",
            status="unread",
            starred=False,
        )
    ]
    plan = plan_import(existing, incoming)
    assert plan.summary() == "0 added, 1 merged, 0 skipped"
    old, new = plan.merged[0]
    assert old is existing[0]
    assert old.authors == []  # the existing paper itself is untouched
    assert new.key == "bao2021beit"
    assert new.authors == ["Hangbo Bao", "Li Dong"]
    assert (new.year, new.venue) == (2021, "ICLR 2022")
    assert new.arxiv_id == "2106.08254"  # not replaced by the incoming spelling
    assert new.tags == ["vit", "self-supervised"]
    assert new.comment == "私のコメント"
    assert (new.status, new.starred, new.added) == ("read", True, "2021-06-20")
    assert new.edited != ""


def test_empty_existing_comment_takes_the_incoming_one() -> None:
    existing = [Paper(key="a", title="A Paper", comment="")]
    plan = plan_import(existing, [Paper(key="", title="a paper!", comment="new words")])
    assert plan.merged[0][1].comment == "new words"


def test_nothing_new_is_skipped() -> None:
    existing = [Paper(key="a", title="A Paper", arxiv_id="2101.00001", tags=["x", "y"])]
    incoming = [Paper(key="", title="Another title", arxiv_id="2101.00001", tags=["Y"])]
    plan = plan_import(existing, incoming)
    assert plan.skipped == [(incoming[0], "already in the log as a")]


def test_implied_link_and_entry_type_are_not_news() -> None:
    existing = [Paper(key="a", title="T", arxiv_id="2101.00001", venue="CVPR 2021")]
    incoming = [
        Paper(
            key="a",
            title="T",
            arxiv_id="2101.00001",
            url="https://arxiv.org/abs/2101.00001",
            entry_type="inproceedings",
        )
    ]
    assert plan_import(existing, incoming).summary() == "0 added, 0 merged, 1 skipped"


def test_duplicates_by_doi_ignore_case_and_url_prefix() -> None:
    existing = [Paper(key="a", title="Old title", doi="10.1109/JPROC.2021.3058954")]
    incoming = [Paper(key="", title="New title", doi="https://doi.org/10.1109/jproc.2021.3058954")]
    plan = plan_import(existing, incoming)
    assert plan.added == []
    assert len(plan.skipped) == 1


def test_same_title_different_arxiv_ids_are_different_papers() -> None:
    existing = [Paper(key="lin2021survey", title="A Survey of Transformers", arxiv_id="2106.04554")]
    incoming = [Paper(key="", title="A survey of transformers", arxiv_id="2009.06732")]
    plan = plan_import(existing, incoming)
    assert len(plan.added) == 1
    assert plan.added[0].key == "anonsurvey"


def test_title_match_ignores_latex_and_punctuation() -> None:
    existing = [Paper(key="yu", title="S$^2$-MLP: Spatial-Shift MLP Architecture for Vision")]
    incoming = [Paper(key="", title="S2-MLP: Spatial-Shift MLP Architecture for Vision")]
    assert plan_import(existing, incoming).summary() == "0 added, 0 merged, 1 skipped"


def test_duplicates_within_the_batch_become_one_paper() -> None:
    incoming = [
        Paper(key="", title="Paper One", arxiv_id="2101.00001", tags=["a"]),
        Paper(key="", title="Paper One (camera ready)", arxiv_id="2101.00001", year=2021),
        Paper(key="", title="paper one", comment="from the third copy"),
        Paper(key="", title="Paper One", arxiv_id="2101.00001"),
    ]
    plan = plan_import([], incoming)
    assert len(plan.added) == 1
    added = plan.added[0]
    assert (added.title, added.year, added.comment) == ("Paper One", 2021, "from the third copy")
    assert [reason for _, reason in plan.skipped] == [
        "same paper as entry 1 of this import; its details were merged into it",
        "same paper as entry 1 of this import; its details were merged into it",
        "same paper as entry 1 of this import; nothing new in it",
    ]
    assert incoming[0].year is None  # merged into the copy, not the incoming paper


def test_two_incoming_copies_of_a_logged_paper_merge_once() -> None:
    existing = [Paper(key="a", title="Logged", arxiv_id="2101.00001")]
    incoming = [
        Paper(key="", title="Logged", year=2021),
        Paper(key="", title="Logged", venue="NeurIPS 2021"),
        Paper(key="", title="Logged", year=2020),
    ]
    plan = plan_import(existing, incoming)
    assert len(plan.merged) == 1
    assert (plan.merged[0][1].year, plan.merged[0][1].venue) == (2021, "NeurIPS 2021")
    assert plan.skipped == [(incoming[2], "already in the log as a")]


def test_keys_kept_when_free_else_generated() -> None:
    existing = [Paper(key="bao2021beit", title="BEiT", arxiv_id="2106.08254")]
    incoming = [
        Paper(key="bao2021beit", title="A different paper", authors=["Hangbo Bao"], year=2021),
        Paper(key="free2020key", title="Free key"),
        Paper(key="free2020key", title="Same key twice"),
        Paper(key="has space", title="Invalid key", authors=["Jürgen Müller"], year=2019),
        Paper(key="", title="The Keyless Paper", authors=["Ada Lovelace"], year=1843),
    ]
    plan = plan_import(existing, incoming)
    assert [p.key for p in plan.added] == [
        "bao2021different",
        "free2020key",
        "anonsame",
        "muller2019invalid",
        "lovelace1843keyless",
    ]


def test_find_duplicate_uses_the_same_rules() -> None:
    papers = shipped_papers()
    beit = Paper(key="", title="Something else", arxiv_id="https://arxiv.org/abs/2106.08254v1")
    assert find_duplicate(papers, beit) is papers[11]
    survey = Paper(key="", title="a survey of transformers")
    assert find_duplicate(papers, survey) is papers[19]
    other_survey = Paper(key="", title="A Survey of Transformers", arxiv_id="2009.06732")
    assert find_duplicate(papers, other_survey) is None
    assert find_duplicate([], beit) is None


def test_added_date_is_kept_when_given() -> None:
    plan = plan_import([], [Paper(key="", title="T", added="2020-01-02")])
    assert plan.added[0].added == "2020-01-02"


def test_no_title_is_a_problem() -> None:
    plan = plan_import([], [Paper(key="", title="   "), Paper(key="", title="ok")])
    assert plan.problems == ["entry 1: no title, skipped"]
    assert [p.title for p in plan.added] == ["ok"]


def test_bibtex_and_markdown_library_imports() -> None:
    bib = read_file(DATA / "library.bib").papers
    plan = plan_import(shipped_papers(), bib, extra_tags=["bib"])
    merged = {old.key: new for old, new in plan.merged}
    # lin2021survey, yu2021s2mlp, dai2021coatnet, bao2021beit, vangansbeke, berner are
    # already in the log; only what the log leaves empty is filled.
    assert "berner2021modern" not in merged or merged["berner2021modern"].comment != ""
    assert {p.title for p in plan.added} >= {
        "Toward Causal Representation Learning",
        "On Random Graphs I",
    }
    assert all("bib" in p.tags for p in plan.added)
    assert not any(
        normalize_title(p.title) == normalize_title("A Survey of Transformers") for p in plan.added
    )
    md = read_file(DATA / "awesome_vision_transformers.md").papers
    plan2 = plan_import(apply(shipped_papers(), plan), md)
    added = {p.title for p in plan2.added}
    assert added == {
        "Emerging Properties in Self-Supervised Vision Transformers",
        "End-to-End Object Detection with Transformers",
    }


def test_large_import_is_fast() -> None:
    existing = [
        Paper(key=f"k{i}", title=f"Existing paper number {i}", arxiv_id=f"2101.{i:05d}")
        for i in range(5000)
    ]
    incoming = [
        Paper(key="", title=f"Existing paper number {i}", comment="新しい") for i in range(2500)
    ] + [
        Paper(key="", title=f"新しい論文 {i}", authors=["山田 太郎"], year=2021)
        for i in range(2500)
    ]
    start = time.perf_counter()
    plan = plan_import(existing, incoming)
    assert time.perf_counter() - start < 10
    assert plan.summary() == "2500 added, 2500 merged, 0 skipped"
    assert len({p.key for p in plan.added}) == 2500


# ---------------------------------------------------------------- properties

_TITLE = st.sampled_from(
    [
        "Attention Is All You Need",
        "attention is all you need!",
        "BEiT",
        "BEIT",
        "ViT",
        "論文",
        "A B",
    ]
)


_DOI_OF = {"": "10.1000/none", "1706.03762": "10.1000/X", "2106.08254": "10.1000/y"}


@st.composite
def small_papers(draw: st.DrawFn, consistent: bool = True) -> Paper:
    """Papers from a tiny pool, so that duplicates are common.

    `consistent` ties each DOI to one arXiv id, as in real data; otherwise one
    incoming paper may claim two papers' identifiers at once.
    """
    arxiv = draw(st.sampled_from(["", "1706.03762", "2106.08254"]))
    if consistent:
        doi = draw(st.sampled_from(["", _DOI_OF[arxiv], _DOI_OF[arxiv].lower()]))
    else:
        doi = draw(st.sampled_from(["", "10.1000/x", "10.1000/X", "10.1000/y"]))
    return Paper(
        key=draw(st.sampled_from(["", "k1", "k2", "bad key", "vaswani2017attention"])),
        title=draw(_TITLE),
        arxiv_id=arxiv,
        doi=doi,
        year=draw(st.sampled_from([None, 2017, 2021])),
        tags=draw(st.lists(st.sampled_from(["a", "B", "c d"]), max_size=2)),
        comment=draw(st.sampled_from(["", "note", "メモ"])),
    )


def _log(raw: list[Paper]) -> list[Paper]:
    """A valid log (unique keys, no duplicates) made from generated papers."""
    return plan_import([], raw).added


@settings(max_examples=300, deadline=None)
@given(st.lists(small_papers(), max_size=6), st.lists(small_papers(), max_size=6))
def test_importing_the_result_again_changes_nothing(
    existing_raw: list[Paper], incoming: list[Paper]
) -> None:
    existing = _log(existing_raw)
    snapshot = copy.deepcopy((existing, incoming))
    plan = plan_import(existing, incoming)
    assert (existing, incoming) == snapshot  # pure
    keys = [p.key for p in existing] + [p.key for p in plan.added]
    assert len(keys) == len(set(keys))
    for old, new in plan.merged:
        assert new.key == old.key
        assert new.comment == (old.comment or new.comment)
        assert set(old.tags) <= set(new.tags)
    again = plan_import(apply(existing, plan), incoming)
    assert again.added == [] and again.merged == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(small_papers(consistent=False), max_size=6),
    st.lists(small_papers(consistent=False), max_size=6),
)
def test_contradictory_identifiers_never_duplicate_on_reimport(
    existing_raw: list[Paper], incoming: list[Paper]
) -> None:
    existing = _log(existing_raw)
    plan = plan_import(existing, incoming)
    after = apply(existing, plan)
    assert plan_import(after, incoming).added == []
    assert plan_import(after, after).added == []


def test_the_core_never_imports_textual() -> None:
    """The formats and the importer run in a worker thread and in the CLI: no UI imports."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path\n"
        "from paper_tui.formats import read_file, export, FORMATS\n"
        "from paper_tui.importer import plan_import\n"
        "papers = read_file(Path('entries.json')).papers\n"
        "for fmt in FORMATS:\n"
        "    papers = plan_import([], read_file(Path('entries.json')).papers).added\n"
        "    export(papers, fmt)\n"
        "read_file(Path('tests/data/library.bib')); read_file(Path('tests/data/seed_log.txt'))\n"
        "read_file(Path('tests/data/awesome_vision_transformers.md'))\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'\n"
    )
    root = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
