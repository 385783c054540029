"""The shipped log against the user's own seed log and the verified facts."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from paper_tui.model import Paper
from paper_tui.store import Store

from .conftest import SHIPPED_LOG

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_log.txt"
FACTS = json.loads((DATA / "paper_facts.json").read_text(encoding="utf-8"))

# The seed's wording of titles that differ from the published ones.
SEED_TITLE_CHANGES = {
    "S2-MLP: Spatial-Shift MLP Architecture for Vision": (
        "S$^2$-MLP: Spatial-Shift MLP Architecture for Vision"
    ),
    "Rethinking “Batch” in BatchNorm": 'Rethinking "Batch" in BatchNorm',
    "BEIT: BERT Pre-Training of Image Transformers": (
        "BEiT: BERT Pre-Training of Image Transformers"
    ),
    "Beyond BatchNorm: Towards a General Understanding of Normalization in Deep Learning": (
        "Beyond BatchNorm: Towards a Unified Understanding of Normalization in Deep Learning"
    ),
}
# Structured venues for the facts' prose venues (journals and the book chapter).
PROSE_VENUES = {
    1: {
        "entry_type": "incollection",
        "venue": "Mathematical Aspects of Deep Learning",
        "publisher": "Cambridge University Press",
        "pages": "1-111",
        "doi": "10.1017/9781009025096.002",
    },
    8: {
        "entry_type": "article",
        "venue": "Applied and Computational Harmonic Analysis",
        "volume": "59",
        "pages": "85-116",
    },
    20: {
        "entry_type": "article",
        "venue": "AI Open",
        "volume": "3",
        "pages": "111-132",
        "doi": "10.1016/j.aiopen.2022.10.001",
    },
}


def seed_pairs() -> tuple[str, list[tuple[str, str]]]:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return lines[0], [(lines[i], lines[i + 1]) for i in range(1, len(lines), 2)]


def shipped() -> list[Paper]:
    return Store.open(SHIPPED_LOG, readonly=True).papers


def test_every_seed_comment_verbatim_and_in_order() -> None:
    header, pairs = seed_pairs()
    assert header.startswith("凄まじい勢いで増殖中のTransformer論文")
    papers = shipped()
    assert len(pairs) == len(papers) == 21
    for (seed_title, comment), paper in zip(pairs, papers, strict=True):
        assert paper.comment == comment
        assert paper.title == SEED_TITLE_CHANGES.get(seed_title, seed_title)


def test_every_fact() -> None:
    papers = shipped()
    for fact, paper in zip(FACTS, papers, strict=True):
        assert paper.title == fact["title"]
        assert paper.authors == fact["authors"]
        assert paper.year == fact["year"]
        assert paper.arxiv_id == fact["arxiv_id"]
        assert paper.url == f"https://arxiv.org/abs/{fact['arxiv_id']}"
        if fact["n"] in PROSE_VENUES:
            for name, value in PROSE_VENUES[fact["n"]].items():
                assert getattr(paper, name) == value, (paper.key, name)
                if name in ("venue", "volume", "doi", "publisher"):
                    assert value in fact["venue"]
        elif fact["venue"]:
            assert (paper.entry_type, paper.venue) == ("inproceedings", fact["venue"])
        else:
            assert (paper.entry_type, paper.venue) == ("misc", "")


def test_keys_tags_and_fields_are_well_formed() -> None:
    papers = shipped()
    keys = [p.key for p in papers]
    assert len(set(keys)) == 21
    assert "dai2021coatnet" in keys and "bao2021beit" in keys
    for paper in papers:
        assert paper.tags and all(t == t.lower() and " " not in t for t in paper.tags)
        assert paper.added and paper.status == "skimmed"
    tags = {t for p in papers for t in p.tags}
    assert {"vit", "mlp", "batchnorm", "distillation", "detection", "segmentation"} <= tags
    assert {"self-supervised", "compression", "moe", "theory", "survey", "nas"} <= tags
    assert {"google", "microsoft", "baidu", "fair"} <= tags


def test_file_is_human_readable_on_disk() -> None:
    raw = SHIPPED_LOG.read_bytes()
    assert "質問集".encode() in raw  # Japanese unescaped
    assert b"\\u" not in raw
    assert raw.startswith(b'{\n  "meta": {')
    data = orjson.loads(raw)
    first = data["papers"]["1"]
    assert list(first)[:4] == ["key", "title", "authors", "year"]


def test_packaged_copy_matches_when_present() -> None:
    from paper_tui.store import shipped_log_bytes

    assert shipped_log_bytes() == SHIPPED_LOG.read_bytes()
