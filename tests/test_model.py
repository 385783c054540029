"""The paper record's rules: keys, names, identifiers, tags, validation, display."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paper_tui.model import (
    Paper,
    ValidationError,
    authors_short,
    base_key,
    is_arxiv_id,
    new_paper,
    normalize_arxiv_id,
    normalize_doi,
    normalize_tag,
    normalize_tags,
    normalize_title,
    parse_tags,
    plain_text,
    split_name,
    unique_key,
    validate_key,
)
from paper_tui.store import dumps

# ================================================================ keys


@pytest.mark.parametrize(
    ("authors", "year", "title", "expected"),
    [
        (
            ["Hangbo Bao", "Li Dong"],
            2021,
            "BEiT: BERT Pre-Training of Image Transformers",
            "bao2021beit",
        ),
        (["Julius Berner"], 2021, "The Modern Mathematics of Deep Learning", "berner2021modern"),
        (
            ["Wouter Van Gansbeke"],
            2021,
            "Revisiting Contrastive Methods",
            "vangansbeke2021revisiting",
        ),
        (["Tan Yu"], 2021, "S$^2$-MLP: Spatial-Shift MLP Architecture", "yu2021s2mlp"),
        (['Sch{\\"o}n, Thomas'], 2020, "A Study of Things", "schon2020study"),
        (["Jürgen Schmidhuber"], 1997, "Über Alles", "schmidhuber1997uber"),
        (["Ludwig van Beethoven"], None, "On the Symphony", "vanbeethovensymphony"),
        ([], 2020, "Anonymous Work", "anon2020anonymous"),
        ([], None, "", "anon"),
    ],
)
def test_base_key(authors: list[str], year: int | None, title: str, expected: str) -> None:
    assert base_key(authors, year, title) == expected


def test_base_key_is_ascii_for_latex() -> None:
    key = base_key(["山田 太郎"], 2023, "深層学習の研究")
    assert key.isascii()
    assert key == "anon2023"


def test_unique_key_suffixes() -> None:
    assert unique_key("bao2021beit", set()) == "bao2021beit"
    assert unique_key("bao2021beit", {"bao2021beit"}) == "bao2021beitb"
    assert unique_key("bao2021beit", ["bao2021beit", "bao2021beitb"]) == "bao2021beitc"
    letters = {"k"} | {f"k{c}" for c in "bcdefghijklmnopqrstuvwxyz"}
    assert unique_key("k", letters) == "k2"
    assert unique_key("k", letters | {"k2", "k3"}) == "k4"


def test_validate_key() -> None:
    assert validate_key("  bao2021beit ") == "bao2021beit"
    assert validate_key("a_b:c-d.e+f/g") == "a_b:c-d.e+f/g"
    for bad in ("", "   ", "has space", "bad,comma", "ü"):
        with pytest.raises(ValidationError, match="citation key"):
            validate_key(bad)


# ================================================================ names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hangbo Bao", ("Hangbo", "Bao")),
        ("Wouter Van Gansbeke", ("Wouter", "Van Gansbeke")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Jean-Paul de la Fontaine", ("Jean-Paul", "de la Fontaine")),
        ("Beethoven, Ludwig van", ("Ludwig van", "Beethoven")),
        ("  Ann    Smith  ", ("Ann", "Smith")),
        ("Plato", ("", "Plato")),
        ("Van Gogh", ("Van", "Gogh")),
    ],
)
def test_split_name(name: str, expected: tuple[str, str]) -> None:
    assert split_name(name) == expected


def test_authors_short() -> None:
    assert authors_short([]) == ""
    assert authors_short(["Julius Berner"]) == "Berner"
    assert authors_short(["Yuxin Wu", "Justin Johnson"]) == "Wu & Johnson"
    assert authors_short(["Hangbo Bao", "Li Dong", "Furu Wei"]) == "Bao et al."


# ================================================================ identifiers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2106.08254", "2106.08254"),
        ("2106.08254v2", "2106.08254"),
        ("arXiv:2106.08254v2", "2106.08254"),
        ("arxiv: 1706.03762", "1706.03762"),
        ("0704.0001", "0704.0001"),
        ("https://arxiv.org/abs/2106.08254", "2106.08254"),
        ("https://arxiv.org/abs/2106.08254v3", "2106.08254"),
        ("https://arxiv.org/pdf/2106.08254.pdf", "2106.08254"),
        ("https://arxiv.org/pdf/2106.08254v1", "2106.08254"),
        ("  2106.08254  ", "2106.08254"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
        ("", ""),
        ("garbage", ""),
        ("1234", ""),
        ("21060.8254", ""),
        ("10.1017/9781009025096.002", ""),
        ("https://openreview.net/forum?id=abc", ""),
    ],
)
def test_normalize_arxiv_id(text: str, expected: str) -> None:
    assert normalize_arxiv_id(text) == expected


def test_is_arxiv_id() -> None:
    assert is_arxiv_id("2106.08254") and is_arxiv_id("hep-th/9901001")
    assert not is_arxiv_id("2106.08254v2") and not is_arxiv_id("")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1017/9781009025096.002", "10.1017/9781009025096.002"),
        ("  10.1109/CVPR.2016.90 ", "10.1109/CVPR.2016.90"),
        ("doi:10.1000/xyz", "10.1000/xyz"),
        ("DOI:10.1000/xyz", "10.1000/xyz"),
        ("https://doi.org/10.1000/XYZ", "10.1000/XYZ"),
        ("http://doi.org/10.1000/xyz", "10.1000/xyz"),
        ("https://dx.doi.org/10.1000/xyz", "10.1000/xyz"),
        ("10.1/x", ""),  # registrant codes have at least four digits
        ("10.1000/", ""),
        ("not a doi", ""),
        ("", ""),
    ],
)
def test_normalize_doi(text: str, expected: str) -> None:
    assert normalize_doi(text) == expected


def test_normalize_title_ignores_case_accents_latex_and_punctuation() -> None:
    assert normalize_title("S$^2$-MLP: Spatial-Shift") == normalize_title("s2 mlp spatial shift")
    assert normalize_title("Café Über") == "cafeuber"


# ================================================================ tags


def test_normalize_tags() -> None:
    assert normalize_tag("  Self Supervised ") == "self-supervised"
    assert normalize_tag("#NLP") == "nlp"
    assert normalize_tag(" , ") == ""
    assert normalize_tags(["Self Supervised", "self-supervised", " ViT ", "", "#nlp", "a,b"]) == [
        "self-supervised",
        "vit",
        "nlp",
        "a-b",
    ]


def test_parse_tags() -> None:
    assert parse_tags("vision, MLP  nlp,,nlp") == ["vision", "mlp", "nlp"]
    assert parse_tags("") == []
    assert parse_tags(" , ,") == []


# ================================================================ new papers


def test_new_paper_fills_and_normalises() -> None:
    paper = new_paper(
        title="  Attention   Is All You Need ",
        authors=["Ashish  Vaswani", "  ", "Noam Shazeer"],
        year="2017",
        arxiv="https://arxiv.org/abs/1706.03762v5",
        tags=["NLP", "nlp", "Transformers"],
        comment="元祖",
        taken_keys=["vaswani2017attention"],
    )
    assert paper.key == "vaswani2017attentionb"
    assert paper.title == "Attention Is All You Need"
    assert paper.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert paper.year == 2017
    assert paper.arxiv_id == "1706.03762"
    assert paper.link == "https://arxiv.org/abs/1706.03762"
    assert paper.tags == ["nlp", "transformers"]
    assert paper.comment == "元祖"
    assert paper.added == date.today().isoformat()
    assert paper.edited


def test_new_paper_takes_a_non_arxiv_url_as_url() -> None:
    paper = new_paper(title="X", arxiv="https://openreview.net/forum?id=abc", taken_keys=[])
    assert paper.arxiv_id == ""
    assert paper.url == "https://openreview.net/forum?id=abc"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "a title is required"),
        ({"title": "   "}, "a title is required"),
        ({"title": "X", "year": "nineteen"}, "year 'nineteen' is not a number"),
        ({"title": "X", "year": 999}, "year 999 is out of range"),
        ({"title": "X", "year": date.today().year + 2}, "is out of range"),
        ({"title": "X", "arxiv": "not an id"}, "'not an id' is not an arXiv id"),
        ({"title": "X", "arxiv": "2106.0"}, "is not an arXiv id"),
    ],
)
def test_new_paper_validation_messages(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        new_paper(taken_keys=[], **kwargs)


def test_new_paper_accepts_next_year_and_no_year() -> None:
    assert new_paper(title="X", year=date.today().year + 1, taken_keys=[]).year is not None
    assert new_paper(title="X", year="", taken_keys=[]).year is None


# ================================================================ the record


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object, not list"),
        ("text", "must be a JSON object, not str"),
        ({"key": "k"}, "has no title"),
        ({"key": "k", "title": 3}, "has no title"),
        ({"title": "Some Title"}, "'Some Title' has no citation key"),
        ({"key": 3, "title": "T"}, "has no citation key"),
        ({"key": "k", "title": "T", "year": "abc"}, "paper 'k': 'year' must be a number"),
        ({"key": "k", "title": "T", "year": True}, "'year' must be a number"),
        ({"key": "k", "title": "T", "year": [2021]}, "'year' must be a number"),
        ({"key": "k", "title": "T", "authors": "Ann"}, "'authors' must be a list of strings"),
        ({"key": "k", "title": "T", "tags": [1]}, "'tags' must be a list of strings"),
        ({"key": "k", "title": "T", "venue": ["x"]}, "'venue' must be text"),
    ],
)
def test_from_dict_errors(data: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Paper.from_dict(data)


def test_from_dict_coerces_and_skips_nulls() -> None:
    paper = Paper.from_dict(
        {"key": "k", "title": "T", "year": "2021", "volume": 3, "starred": 1, "doi": None}
    )
    assert paper.year == 2021 and paper.volume == "3" and paper.starred is True
    assert paper.doi == ""


def test_to_dict_key_order_and_extras() -> None:
    paper = Paper.from_dict({"zzz": 1, "title": "T", "key": "k", "aaa": [1]})
    out = paper.to_dict()
    names = [f.name for f in fields(Paper) if f.name != "extra"]
    assert list(out) == [*names, "zzz", "aaa"]


def test_copy_does_not_share_lists() -> None:
    paper = Paper("k", "T", authors=["A"], tags=["t"], extra={"x": 1})
    dup = paper.copy()
    dup.authors.append("B")
    dup.tags.append("u")
    dup.extra["y"] = 2
    assert paper.authors == ["A"] and paper.tags == ["t"] and paper.extra == {"x": 1}


def test_link_and_kind() -> None:
    assert Paper("k", "T", url="https://u", arxiv_id="1706.03762").link == "https://u"
    assert Paper("k", "T", arxiv_id="1706.03762").link == "https://arxiv.org/abs/1706.03762"
    assert Paper("k", "T", doi="10.1000/x").link == "https://doi.org/10.1000/x"
    assert Paper("k", "T").link == ""
    assert Paper("k", "T").kind == "misc"
    assert Paper("k", "T", venue="CVPR").kind == "inproceedings"
    assert Paper("k", "T", venue="CVPR", entry_type="article").kind == "article"


# ================================================================ display


def test_plain_text() -> None:
    assert plain_text("S$^2$-MLP: x") == "S²-MLP: x"
    assert plain_text("no latex here") == "no latex here"
    assert plain_text('Sch{\\"o}n') == "Schön"
    assert plain_text("日本語") == "日本語"


# ================================================================ round trip

_KNOWN = frozenset(f.name for f in fields(Paper))
_text = st.text(max_size=20)
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
# A stored field literally named "extra" is not kept (see the report); keep it out.
_extra_keys = _text.filter(lambda k: k not in _KNOWN)

papers = st.builds(
    Paper,
    key=st.text(min_size=1, max_size=20),
    title=st.text(max_size=40).filter(lambda t: t.strip() != ""),
    authors=st.lists(_text, max_size=4),
    year=st.none() | st.integers(min_value=-(10**6), max_value=10**6),
    arxiv_id=_text,
    primary_class=_text,
    entry_type=_text,
    venue=_text,
    volume=_text,
    pages=_text,
    doi=_text,
    publisher=_text,
    url=_text,
    tags=st.lists(_text, max_size=4),
    comment=st.text(max_size=80),
    status=_text,
    starred=st.booleans(),
    added=_text,
    edited=_text,
    extra=st.dictionaries(_extra_keys, _json, max_size=4),
)


@settings(max_examples=200, database=None, deadline=None)
@given(papers)
def test_to_dict_from_dict_round_trip(paper: Paper) -> None:
    assert Paper.from_dict(paper.to_dict()) == paper
    # ...and through the bytes the store writes.
    on_disk = orjson.loads(dumps(paper.to_dict()))
    assert Paper.from_dict(on_disk) == paper


# ================================================================ the fast path of from_dict


def _outcome(data: Any) -> tuple[str, Any]:
    try:
        return "paper", Paper.from_dict(data)
    except ValidationError as exc:
        return "error", str(exc)


@settings(max_examples=200, database=None, deadline=None)
@given(papers)
def test_from_dict_fast_path_agrees_with_the_careful_one(paper: Paper) -> None:
    """A document as `to_dict` makes it is built directly; any other mapping the careful way."""
    from types import MappingProxyType

    doc = paper.to_dict()
    assert _outcome(doc) == _outcome(MappingProxyType(doc))  # not a dict: the careful path
    wrong: list[Any] = [None, 3, 2.5, True, False, "", "2021", ["a"], [1], {"x": 1}]
    for name in ("key", "title", "authors", "year", "venue", "tags", "starred", "edited"):
        for value in wrong:
            bad = {**doc, name: value}
            assert _outcome(bad) == _outcome(MappingProxyType(bad)), (name, value)


def test_from_dict_keeps_the_stored_lists() -> None:
    """The store's document and the paper share `authors` and `tags` (see `Paper`)."""
    doc = Paper("k", "T", authors=["A"], tags=["t"]).to_dict()
    paper = Paper.from_dict(doc)
    assert paper.authors is doc["authors"] and paper.tags is doc["tags"]
    dup = paper.copy()
    assert dup.authors is not doc["authors"] and dup.tags is not doc["tags"]
    dup.tags.append("u")
    assert doc["tags"] == ["t"]
    with_extra = {**doc, "extra_field": 1}
    assert Paper.from_dict(with_extra).authors is not doc["authors"], "the careful path copies"
