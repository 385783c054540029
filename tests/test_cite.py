"""Citations: every shipped paper's BibTeX read back by two real parsers; references; links."""

from __future__ import annotations

import bibtexparser
import pytest
from pybtex.database import parse_string as pybtex_parse

from paper_tui.cite import (
    apa_authors,
    bibtex,
    bibtex_title,
    cite,
    latex_escape,
    markdown_link,
    reference,
)
from paper_tui.model import Paper
from paper_tui.store import Store

from .conftest import SHIPPED_LOG

PAPERS = Store.open(SHIPPED_LOG, readonly=True).papers


def by_key(key: str) -> Paper:
    return next(p for p in PAPERS if p.key == key)


def _unbrace(text: str) -> str:
    return text.replace("{", "").replace("}", "")


@pytest.mark.parametrize("paper", PAPERS, ids=[p.key for p in PAPERS])
def test_bibtex_round_trips_through_bibtexparser(paper: Paper) -> None:
    library = bibtexparser.parse_string(bibtex(paper))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.key == paper.key
    assert entry.entry_type == paper.kind
    fields = {f.key: f.value for f in entry.fields}
    assert _unbrace(fields["title"]) == paper.title
    assert paper.authors[0].split()[0] in _unbrace(fields["author"]).split(" and ")[0]
    assert len(fields["author"].split(" and ")) == len(paper.authors)
    assert fields["eprint"] == paper.arxiv_id
    assert fields["archivePrefix"] == "arXiv"
    assert fields["url"] == paper.link
    if paper.doi:
        assert fields["doi"] == paper.doi
    if paper.kind == "inproceedings":
        assert "booktitle" in fields
    if paper.kind == "article":
        assert fields["journal"] == paper.venue
        assert fields["volume"] == paper.volume
        assert fields["pages"] == paper.pages.replace("-", "--")


@pytest.mark.parametrize("paper", PAPERS, ids=[p.key for p in PAPERS])
def test_bibtex_round_trips_through_pybtex(paper: Paper) -> None:
    data = pybtex_parse(bibtex(paper), "bibtex")
    entry = data.entries[paper.key]
    assert entry.type == paper.kind
    names = entry.persons["author"]
    assert len(names) == len(paper.authors)
    for person, author in zip(names, paper.authors, strict=True):
        last = _unbrace(" ".join(person.last_names))
        assert author.endswith(last)
    assert _unbrace(entry.fields["title"]) == paper.title
    assert entry.fields["year"].isdigit()


def test_entry_types_follow_the_facts() -> None:
    assert bibtex(by_key("wu2021rethinking")).startswith("@misc{wu2021rethinking,")
    assert bibtex(by_key("bao2021beit")).startswith("@inproceedings{bao2021beit,")
    assert bibtex(by_key("liu2020loss")).startswith("@article{liu2020loss,")
    assert bibtex(by_key("berner2021modern")).startswith("@incollection{berner2021modern,")
    beit = bibtex(by_key("bao2021beit"))
    assert "booktitle     = {International Conference on Learning Representations (ICLR)}" in beit
    assert "year          = {2022}" in beit  # the conference's year, not the preprint's
    assert "primaryClass  = {cs.CV}" in bibtex(by_key("yu2021s2mlp"))


def test_title_protection_and_math() -> None:
    assert bibtex_title("BEiT: BERT Pre-Training of Image Transformers") == (
        "{BEiT}: {BERT} Pre-Training of Image Transformers"
    )
    assert bibtex_title("S$^2$-MLP: Spatial-Shift MLP") == "S$^2$-{MLP}: Spatial-Shift {MLP}"
    assert bibtex_title("CoAtNet for ViT") == "{CoAtNet} for {ViT}"


def test_special_characters_are_escaped() -> None:
    assert latex_escape("A & B 100% #1 a_b {x} ~ ^ \\") == (
        r"A \& B 100\% \#1 a\_b \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    paper = Paper(
        key="odd2024",
        title="R&D at 100% on C# with snake_case",
        authors=["José Müller", "Zoë d'Arc"],
        year=2024,
        venue="Journal of A & B",
        entry_type="article",
    )
    text = bibtex(paper)
    assert r"R\&D at 100\% on C\# with snake\_case" in text
    assert "Müller, José and d'Arc, Zoë" in text
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    pybtex_parse(text, "bibtex")


def test_apa_reference() -> None:
    assert reference(by_key("lin2021survey")) == (
        "Lin, T., Wang, Y., Liu, X., & Qiu, X. (2021). A Survey of Transformers. AI Open, 3, "
        "111–132. https://doi.org/10.1016/j.aiopen.2022.10.001"
    )
    assert reference(by_key("wu2021rethinking")) == (
        'Wu, Y., & Johnson, J. (2021). Rethinking "Batch" in BatchNorm. arXiv preprint '
        "arXiv:2105.07576. https://arxiv.org/abs/2105.07576"
    )
    assert reference(by_key("stanton2021does")).startswith(
        "Stanton, S., Izmailov, P., Kirichenko, P., Alemi, A. A., & Wilson, A. G. (2021). "
        "Does Knowledge Distillation Really Work? In Advances in Neural Information"
    )
    assert apa_authors(["Jean-Pierre Serre"]) == "Serre, J.-P."
    many = [f"Given Author{i}" for i in range(25)]
    text = apa_authors(many)
    assert text.count(",") > 19 and ". . . Author24, G." in text


def test_markdown_link_escapes_and_urls() -> None:
    paper = Paper(
        key="x",
        title="Learning [to] *see* _fast_",
        authors=["A B"],
        year=2020,
        url="https://e.org/a(b)",
    )
    assert (
        markdown_link(paper)
        == r"[Learning \[to\] \*see\* \_fast\_](https://e.org/a%28b%29) (B, 2020)"
    )


def test_cite_many() -> None:
    text = cite(PAPERS[:3], "bibtex")
    assert len(bibtexparser.parse_string(text).entries) == 3
    assert cite(PAPERS[:2], "url").splitlines() == [
        "https://arxiv.org/abs/2105.04026",
        "https://arxiv.org/abs/2106.07477",
    ]
