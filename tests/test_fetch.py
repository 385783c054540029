"""Adding a paper by arXiv id, DOI or URL: parsing, fetching, errors, politeness, filling.

Every request goes to a server on 127.0.0.1 that the test starts itself
(`tests/fetch_server.py`); the canned answers in tests/data follow the formats
of the arXiv API (Atom) and of Crossref's `/works/{doi}` (JSON).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest

from paper_tui import __version__
from paper_tui.fetch import (
    USER_AGENT,
    Endpoints,
    Fetcher,
    FetchError,
    Identifier,
    Metadata,
    apply_metadata,
    first_sentence,
    is_pending,
    paper_from_metadata,
    parse_identifier,
    stub_paper,
    venue_from_journal_ref,
)
from paper_tui.model import Paper, validate_key

from .conftest import ROOT
from .fetch_server import Canned, CannedServer, closed_port


def arxiv_path(arxiv_id: str) -> str:
    return f"/api/query?id_list={arxiv_id}&max_results=1"


SURVEY_DOI = "10.1016/j.aiopen.2022.10.001"


@dataclass
class FakeTime:
    """A clock that only moves when slept on, so the 3 s spacing costs no time."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not carry the local requests off the machine."""
    import os

    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[CannedServer]:
    with CannedServer() as srv:
        yield srv


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_fetcher(server: CannedServer, fake_time: FakeTime, timeout: float = 5.0) -> Fetcher:
    endpoints = Endpoints(
        arxiv=f"{server.url}/api/query", crossref=f"{server.url}/works", timeout=timeout
    )
    return Fetcher(endpoints, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def fetcher(server: CannedServer, fake_time: FakeTime) -> Fetcher:
    return make_fetcher(server, fake_time)


def fetch_error(fetcher: Fetcher, ident: Identifier) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(ident)
    return info.value


ARXIV = Identifier("arxiv", "2106.08254")
SURVEY = Identifier("arxiv", "2106.04554")
DOI = Identifier("doi", SURVEY_DOI)


# ================================================================ identifiers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2106.08254", ("arxiv", "2106.08254")),
        ("  2106.08254v2 ", ("arxiv", "2106.08254")),
        ("0704.0001", ("arxiv", "0704.0001")),
        ("1412.7878", ("arxiv", "1412.7878")),
        ("arXiv:2106.08254", ("arxiv", "2106.08254")),
        ("arxiv:2106.08254v3", ("arxiv", "2106.08254")),
        ("arXiv:2106.08254v2 [cs.CV]", ("arxiv", "2106.08254")),
        ("hep-th/9901001", ("arxiv", "hep-th/9901001")),
        ("hep-th/9901001v1", ("arxiv", "hep-th/9901001")),
        ("math.GT/0309136v1", ("arxiv", "math/0309136")),
        ("arXiv:math.GT/0309136", ("arxiv", "math/0309136")),
        ("cond-mat.mes-hall/0211022", ("arxiv", "cond-mat/0211022")),
        ("https://arxiv.org/abs/2106.08254", ("arxiv", "2106.08254")),
        ("https://arxiv.org/abs/2106.08254v2", ("arxiv", "2106.08254")),
        ("http://arxiv.org/abs/hep-th/9901001v2", ("arxiv", "hep-th/9901001")),
        ("https://arxiv.org/pdf/2106.08254", ("arxiv", "2106.08254")),
        ("https://arxiv.org/pdf/2106.08254v1.pdf", ("arxiv", "2106.08254")),
        ("https://arxiv.org/pdf/math.GT/0309136v1.pdf", ("arxiv", "math/0309136")),
        ("https://export.arxiv.org/abs/2106.08254?context=cs", ("arxiv", "2106.08254")),
        ("arxiv.org/abs/2106.08254/", ("arxiv", "2106.08254")),
        ("<https://arxiv.org/abs/2106.08254>", ("arxiv", "2106.08254")),
        (SURVEY_DOI, ("doi", SURVEY_DOI)),
        (f"doi:{SURVEY_DOI}", ("doi", SURVEY_DOI)),
        (f"DOI: {SURVEY_DOI}", ("doi", SURVEY_DOI)),
        (f"https://doi.org/{SURVEY_DOI}", ("doi", SURVEY_DOI)),
        (f"http://doi.org/{SURVEY_DOI}", ("doi", SURVEY_DOI)),
        (f"https://dx.doi.org/{SURVEY_DOI}", ("doi", SURVEY_DOI)),
        (f"http://dx.doi.org/{SURVEY_DOI}", ("doi", SURVEY_DOI)),
        ("https://doi.org/10.1016%2Fj.aiopen.2022.10.001", ("doi", SURVEY_DOI)),
        ("10.1109/CVPR52688.2022.01553", ("doi", "10.1109/CVPR52688.2022.01553")),
        (
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
            ("doi", "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"),
        ),
        ("10.48550/arXiv.2106.08254", ("arxiv", "2106.08254")),
        ("https://doi.org/10.48550/ARXIV.2106.08254", ("arxiv", "2106.08254")),
        ("doi:10.48550/arXiv.hep-th/9901001", ("arxiv", "hep-th/9901001")),
    ],
)
def test_parse_identifier_recognises(text: str, expected: tuple[str, str]) -> None:
    ident = parse_identifier(text)
    assert ident is not None
    assert (ident.kind, ident.value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "BEiT: BERT Pre-Training of Image Transformers",
        "2106.0825",  # 2021 ids have five digits
        "1412.78789",  # 2014 ids have four
        "2113.08254",  # there is no month 13
        "0612.1234",  # the new scheme began in April 2007
        "3.14159",
        "https://example.org/abs/2106.08254",
        "https://arxiv.org/list/cs.CV/recent",
        "doi:",
        "10.1016",
        "11.1016/j.aiopen.2022.10.001",
        "https://doi.org/",
        "https://example.org/10.1016/j.aiopen.2022.10.001",
        "10.1016/j.aiopen 2022",
    ],
)
def test_parse_identifier_rejects(text: str) -> None:
    assert parse_identifier(text) is None


def test_identifier_label_and_url() -> None:
    assert ARXIV.label == "arXiv:2106.08254"
    assert ARXIV.url == "https://arxiv.org/abs/2106.08254"
    assert DOI.label == f"doi:{SURVEY_DOI}"
    assert DOI.url == f"https://doi.org/{SURVEY_DOI}"
    with pytest.raises(AttributeError):
        ARXIV.value = "x"  # type: ignore[misc]


# ================================================================ configuration


def test_endpoints_defaults_and_environment() -> None:
    assert Endpoints.from_env({}) == Endpoints()
    assert Endpoints().arxiv == "https://export.arxiv.org/api/query"
    assert Endpoints().crossref == "https://api.crossref.org/works"
    assert Endpoints().timeout == 10.0
    env = {
        "PAPER_TUI_ARXIV_URL": "http://127.0.0.1:9/api/query",
        "PAPER_TUI_CROSSREF_URL": "http://127.0.0.1:9/works/",
        "PAPER_TUI_FETCH_TIMEOUT": "2.5",
    }
    assert Endpoints.from_env(env) == Endpoints(
        "http://127.0.0.1:9/api/query", "http://127.0.0.1:9/works", 2.5
    )


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
def test_endpoints_reject_a_bad_timeout(value: str) -> None:
    with pytest.raises(ValueError, match="PAPER_TUI_FETCH_TIMEOUT"):
        Endpoints.from_env({"PAPER_TUI_FETCH_TIMEOUT": value})


def test_endpoints_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPER_TUI_FETCH_TIMEOUT", "7")
    assert Endpoints.from_env().timeout == 7.0


# ================================================================ arXiv


def test_arxiv_entry(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(arxiv_path("2106.08254"), Canned.file("arxiv_2106.08254.xml"))
    meta = fetcher.fetch(parse_identifier("https://arxiv.org/pdf/2106.08254v2.pdf") or ARXIV)
    assert meta == Metadata(
        title="BEiT: BERT Pre-Training of Image Transformers",
        authors=["Hangbo Bao", "Li Dong", "Songhao Piao", "Furu Wei"],
        year=2021,
        entry_type="misc",
        arxiv_id="2106.08254",
        primary_class="cs.CV",
        url="https://arxiv.org/abs/2106.08254",
        summary=(
            "We introduce a self-supervised vision representation model BEiT, which stands "
            "for Bidirectional Encoder representation from Image Transformers."
        ),
    )
    assert [s.path for s in server.seen] == [arxiv_path("2106.08254")]  # no DOI: no Crossref


def test_arxiv_entry_with_a_doi_is_completed_from_crossref(
    server: CannedServer, fetcher: Fetcher
) -> None:
    server.add(arxiv_path("2106.04554"), Canned.file("arxiv_2106.04554.xml"))
    server.add(f"/works/{SURVEY_DOI}", Canned.file("crossref_article.json"))
    meta = fetcher.fetch(SURVEY)
    assert meta.title == "A Survey of Transformers"  # arXiv's casing, not Crossref's
    assert meta.authors == ["Tianyang Lin", "Yuxin Wang", "Xiangyang Liu", "Xipeng Qiu"]
    assert meta.year == 2021  # first appearance, as the log's keys (lin2021survey) date it
    assert (meta.venue, meta.volume, meta.pages) == ("AI Open", "3", "111-132")
    assert (meta.entry_type, meta.publisher, meta.doi) == ("article", "Elsevier BV", SURVEY_DOI)
    assert (meta.arxiv_id, meta.primary_class) == ("2106.04554", "cs.LG")
    assert meta.url == "https://arxiv.org/abs/2106.04554"
    assert meta.summary.startswith("Transformers have achieved great success")
    assert meta.summary.endswith("audio processing.")
    assert [s.path for s in server.seen] == [arxiv_path("2106.04554"), f"/works/{SURVEY_DOI}"]


@pytest.mark.parametrize(
    "crossref",
    [
        None,  # 404
        Canned(b"oops", status=500, content_type="text/plain"),
        Canned(b"{not json"),
    ],
)
def test_arxiv_data_survives_a_failing_crossref(
    server: CannedServer, fetcher: Fetcher, crossref: Canned | None
) -> None:
    server.add(arxiv_path("2106.04554"), Canned.file("arxiv_2106.04554.xml"))
    if crossref is not None:
        server.add(f"/works/{SURVEY_DOI}", crossref)
    meta = fetcher.fetch(SURVEY)
    assert meta.title == "A Survey of Transformers"
    assert meta.doi == SURVEY_DOI
    assert meta.venue == "AI Open"  # from the journal_ref
    assert (meta.entry_type, meta.volume, meta.pages) == ("misc", "", "")


def test_arxiv_crossref_unreachable_keeps_arxiv_data(
    server: CannedServer, fake_time: FakeTime
) -> None:
    server.add(arxiv_path("2106.04554"), Canned.file("arxiv_2106.04554.xml"))
    endpoints = Endpoints(
        arxiv=f"{server.url}/api/query", crossref=f"http://127.0.0.1:{closed_port()}/works"
    )
    meta = Fetcher(endpoints, sleep=fake_time.sleep, clock=fake_time.clock).fetch(SURVEY)
    assert (meta.title, meta.doi) == ("A Survey of Transformers", SURVEY_DOI)


def test_old_style_ids_are_asked_for_in_canonical_form(
    server: CannedServer, fetcher: Fetcher
) -> None:
    server.add(arxiv_path("math/0309136"), Canned.file("arxiv_empty.xml"))
    ident = parse_identifier("arXiv:math.GT/0309136v1")
    assert ident is not None
    error = fetch_error(fetcher, ident)
    assert str(error) == "arXiv has no paper math/0309136"
    assert server.seen[0].query == {"id_list": ["math/0309136"], "max_results": ["1"]}


# ================================================================ Crossref


def test_crossref_journal_article(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(f"/works/{SURVEY_DOI}", Canned.file("crossref_article.json"))
    meta = fetcher.fetch(parse_identifier(f"https://doi.org/{SURVEY_DOI}") or DOI)
    assert meta == Metadata(
        title="A survey of transformers",
        authors=["Tianyang Lin", "Yuxin Wang", "Xiangyang Liu", "Xipeng Qiu"],
        year=2022,
        venue="AI Open",
        entry_type="article",
        volume="3",
        pages="111-132",
        doi=SURVEY_DOI,
        publisher="Elsevier BV",
        url=f"https://doi.org/{SURVEY_DOI}",
        summary=(
            "Transformers have achieved great success in many artificial intelligence fields, "
            "such as natural language processing, computer vision, and audio processing."
        ),
    )


def test_crossref_proceedings_article(server: CannedServer, fetcher: Fetcher) -> None:
    doi = "10.1109/cvpr52688.2022.01553"
    server.add(f"/works/{doi}", Canned.file("crossref_proceedings.json"))
    meta = fetcher.fetch(Identifier("doi", doi))
    assert meta.entry_type == "inproceedings"
    assert meta.title == "Masked Autoencoders Are Scalable Vision Learners"
    assert meta.authors[0] == "Kaiming He" and meta.authors[-1] == "Ross Girshick"
    assert len(meta.authors) == 6
    assert meta.venue == (
        "2022 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"
    )
    assert (meta.year, meta.pages, meta.volume, meta.publisher) == (
        2022,
        "15979-15988",
        "",
        "IEEE",
    )
    assert meta.summary == ""


def test_crossref_book_chapter(server: CannedServer, fetcher: Fetcher) -> None:
    doi = "10.1017/9781009025096.002"
    server.add(f"/works/{doi}", Canned.file("crossref_chapter.json"))
    meta = fetcher.fetch(Identifier("doi", doi))
    assert meta.entry_type == "incollection"
    assert meta.venue == "Mathematical Aspects of Deep Learning"
    assert meta.authors == ["Julius Berner", "Philipp Grohs", "Gitta Kutyniok", "Philipp Petersen"]
    assert (meta.year, meta.pages, meta.publisher) == (2022, "1-111", "Cambridge University Press")


def test_crossref_markup_odd_dates_and_other_types(server: CannedServer, fetcher: Fetcher) -> None:
    doi = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    message = {
        "title": ["<i>In vivo</i> imaging &amp; <sub>2</sub>D maps"],
        "subtitle": ["a   study"],
        "author": [{"name": "The LIGO Consortium", "sequence": "first"}, {"given": "Ann"}],
        "issued": {"date-parts": [[None]]},
        "published-online": {"date-parts": [[1998, 6]]},
        "page": "693 – 701",
        "type": "posted-content",
        "DOI": doi,
    }
    body = json.dumps({"status": "ok", "message-type": "work", "message": message})
    server.add(f"/works/{doi}", Canned(body.encode()))
    meta = fetcher.fetch(Identifier("doi", doi))
    assert meta.title == "In vivo imaging & 2D maps: a study"
    assert meta.authors == ["The LIGO Consortium"]
    assert (meta.year, meta.pages, meta.entry_type, meta.doi) == (1998, "693-701", "misc", doi)
    assert "%3C693%3A%3AAID-ASI4%3E" in server.seen[0].path  # sent percent-encoded


# ================================================================ errors


def test_crossref_404(server: CannedServer, fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, Identifier("doi", "10.1234/nope"))
    assert str(error) == "Crossref answered 404: no such DOI 10.1234/nope"
    assert (error.kind, error.status, error.service, error.retryable) == (
        "not_found",
        404,
        "Crossref",
        False,
    )


def test_crossref_500(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(f"/works/{SURVEY_DOI}", Canned(b"boom", status=500, content_type="text/plain"))
    error = fetch_error(fetcher, DOI)
    assert str(error) == "Crossref answered 500: Internal Server Error"
    assert (error.kind, error.status, error.retryable) == ("http", 500, True)


def test_arxiv_503_asks_to_come_back(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(arxiv_path("2106.08254"), Canned(b"busy", status=503, content_type="text/plain"))
    error = fetch_error(fetcher, ARXIV)
    assert str(error) == "arXiv answered 503: Service Unavailable; try again in a minute"
    assert error.retryable


def test_timeout(server: CannedServer, fake_time: FakeTime) -> None:
    slow = Canned.file("arxiv_2106.08254.xml")
    slow.delay = 3.0
    server.add(arxiv_path("2106.08254"), slow)
    fetcher = make_fetcher(server, fake_time, timeout=0.2)
    started = time.monotonic()
    error = fetch_error(fetcher, ARXIV)
    assert time.monotonic() - started < 2.0
    assert str(error) == "arXiv did not answer within 0.2 s"
    assert (error.kind, error.retryable) == ("timeout", True)


def test_empty_feed_means_no_such_paper(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(arxiv_path("2106.99999"), Canned.file("arxiv_empty.xml"))
    error = fetch_error(fetcher, Identifier("arxiv", "2106.99999"))
    assert str(error) == "arXiv has no paper 2106.99999"
    assert (error.kind, error.retryable) == ("not_found", False)


@pytest.mark.parametrize("status", [200, 400])
def test_arxiv_error_entry(server: CannedServer, fetcher: Fetcher, status: int) -> None:
    server.add(arxiv_path("1507.9999"), Canned.file("arxiv_error.xml", status=status))
    error = fetch_error(fetcher, Identifier("arxiv", "1507.9999"))
    assert str(error) == "arXiv has no paper 1507.9999 (incorrect id format for 1507.9999)"
    assert error.kind == "not_found"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>Oops", "arXiv sent an answer that is not valid XML"),
        (b"", "arXiv sent an answer that is not valid XML"),
        (b"<rss version='2.0'/>", "arXiv sent an answer that is not an Atom feed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&a;</title></feed>',
            "arXiv sent an answer that is not valid XML",
        ),
    ],
)
def test_malformed_xml(server: CannedServer, fetcher: Fetcher, body: bytes, message: str) -> None:
    server.add(arxiv_path("2106.08254"), Canned(body, content_type="text/html"))
    error = fetch_error(fetcher, ARXIV)
    assert str(error) == message
    assert error.kind == "malformed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Crossref sent an answer that is not valid JSON"),
        (b"\xff\xfe\x00", "Crossref sent an answer that is not valid JSON"),
        (b"[1, 2]", "Crossref sent an answer in an unexpected shape"),
        (b'{"status": "failed", "message": []}', "Crossref sent an answer in an unexpected shape"),
    ],
)
def test_malformed_json(server: CannedServer, fetcher: Fetcher, body: bytes, message: str) -> None:
    server.add(f"/works/{SURVEY_DOI}", Canned(body))
    error = fetch_error(fetcher, DOI)
    assert str(error) == message
    assert error.kind == "malformed"


def test_connection_refused(fake_time: FakeTime) -> None:
    port = closed_port()
    endpoints = Endpoints(
        arxiv=f"http://127.0.0.1:{port}/api/query", crossref=f"http://127.0.0.1:{port}/works"
    )
    fetcher = Fetcher(endpoints, sleep=fake_time.sleep, clock=fake_time.clock)
    for ident in (ARXIV, DOI):
        error = fetch_error(fetcher, ident)
        assert str(error).startswith("could not reach 127.0.0.1: ")
        assert "Errno" not in str(error)
        assert (error.kind, error.retryable) == ("network", True)


# ================================================================ politeness


def test_arxiv_requests_are_three_seconds_apart(
    server: CannedServer, fetcher: Fetcher, fake_time: FakeTime
) -> None:
    server.add(arxiv_path("2106.08254"), Canned.file("arxiv_2106.08254.xml"))
    server.add(f"/works/{SURVEY_DOI}", Canned.file("crossref_article.json"))
    fetcher.fetch(ARXIV)
    assert fake_time.sleeps == []  # the first call does not wait
    fetcher.fetch(DOI)
    assert fake_time.sleeps == []  # Crossref is not held to arXiv's spacing
    fetcher.fetch(ARXIV)
    assert fake_time.sleeps == [3.0]
    fake_time.now += 1.0
    fetcher.fetch(ARXIV)
    assert fake_time.sleeps == [3.0, 2.0]  # only what is left of the 3 s
    fake_time.now += 10.0
    fetcher.fetch(ARXIV)
    assert fake_time.sleeps == [3.0, 2.0]
    assert len(server.seen) == 5


def test_a_failed_arxiv_request_counts_for_the_spacing(
    server: CannedServer, fetcher: Fetcher, fake_time: FakeTime
) -> None:
    server.add(arxiv_path("2106.99999"), Canned.file("arxiv_empty.xml"))
    server.add(arxiv_path("2106.08254"), Canned.file("arxiv_2106.08254.xml"))
    fetch_error(fetcher, Identifier("arxiv", "2106.99999"))
    fetcher.fetch(ARXIV)
    assert fake_time.sleeps == [3.0]


def test_one_request_at_a_time(server: CannedServer, fetcher: Fetcher) -> None:
    slow = Canned.file("crossref_article.json")
    slow.delay = 0.05
    server.add(f"/works/{SURVEY_DOI}", slow)
    results: list[Metadata] = []
    threads = [threading.Thread(target=lambda: results.append(fetcher.fetch(DOI))) for _ in "1234"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 4
    assert server.max_in_flight == 1


def test_user_agent_is_descriptive(server: CannedServer, fetcher: Fetcher) -> None:
    server.add(arxiv_path("2106.04554"), Canned.file("arxiv_2106.04554.xml"))
    server.add(f"/works/{SURVEY_DOI}", Canned.file("crossref_article.json"))
    fetcher.fetch(SURVEY)
    agents = {seen.headers["User-Agent"] for seen in server.seen}
    assert agents == {f"paper-tui/{__version__} (reading-log tool; python urllib)"}
    assert Fetcher().user_agent == USER_AGENT
    accepts = [seen.headers["Accept"] for seen in server.seen]
    assert accepts == ["application/atom+xml", "application/json"]


def test_fetch_does_not_import_textual() -> None:
    code = (
        "import sys, paper_tui.fetch\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'pyperclip'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ================================================================ text helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One.  Two.", "One."),
        (
            "We study\n  things (e.g. cats) and dogs. Then more.",
            "We study things (e.g. cats) and dogs.",
        ),
        ("As shown by J. Smith et al. in 2020, it works. Also this.", None),
        ("Is it? Yes.", "Is it?"),
        ("Accuracy rose to 3.5 points. Next.", "Accuracy rose to 3.5 points."),
        ("no full stop at all", "no full stop at all"),
        ("", ""),
    ],
)
def test_first_sentence(text: str, expected: str | None) -> None:
    if expected is None:
        expected = "As shown by J. Smith et al. in 2020, it works."
    assert first_sentence(text) == expected


@pytest.mark.parametrize(
    ("ref", "venue"),
    [
        ("AI Open 3 (2022) 111-132", "AI Open"),
        ("Phys. Rev. D 76, 013009 (2007)", "Phys. Rev. D"),
        ("Phys. Rev. Lett. vol. 12 (2001)", "Phys. Rev. Lett."),
        ("ICLR 2022", "ICLR"),
        ("Published in NeurIPS 2021", "NeurIPS"),
        (
            "Proceedings of the 38th International Conference on Machine Learning, "
            "PMLR 139:1234-1245, 2021",
            "Proceedings of the 38th International Conference on Machine Learning, PMLR",
        ),
        ("2022 IEEE/CVF CVPR", "2022 IEEE/CVF CVPR"),
    ],
)
def test_venue_from_journal_ref(ref: str, venue: str) -> None:
    assert venue_from_journal_ref(ref) == venue


# ================================================================ papers


BEIT = Metadata(
    title="BEiT: BERT Pre-Training of Image Transformers",
    authors=["Hangbo Bao", "Li Dong", "Songhao Piao", "Furu Wei"],
    year=2021,
    venue="ICLR 2022",
    entry_type="inproceedings",
    arxiv_id="2106.08254",
    primary_class="cs.CV",
    url="https://arxiv.org/abs/2106.08254",
    summary="We introduce BEiT.",
)


def test_apply_metadata_fills_only_empty_fields() -> None:
    paper = Paper(
        key="mybeit",
        title="BEiT (my notes)",
        venue="ICLR",
        tags=["vision", "ssl"],
        comment="Masked image modelling; read section 3 again.",
        status="read",
        starred=True,
        extra={"summary": "my own summary", "pending": True, "color": "blue"},
    )
    before = paper.copy()
    filled = apply_metadata(paper, BEIT)
    assert paper == before  # the input is not changed
    assert filled.title == "BEiT (my notes)"  # a typed title is kept
    assert filled.venue == "ICLR"  # a filled field is kept
    assert filled.comment == paper.comment and filled.tags == ["vision", "ssl"]
    assert (filled.status, filled.starred, filled.key) == ("read", True, "mybeit")
    assert filled.authors == BEIT.authors and filled.year == 2021
    assert (filled.arxiv_id, filled.primary_class, filled.entry_type) == (
        "2106.08254",
        "cs.CV",
        "inproceedings",
    )
    assert filled.extra == {"summary": "my own summary", "color": "blue"}
    assert not is_pending(filled)
    assert filled.edited


def test_apply_metadata_never_overwrites_comment_or_tags_even_when_empty() -> None:
    paper = Paper(key="k", title="arXiv:2106.08254", arxiv_id="2106.08254")
    filled = apply_metadata(paper, BEIT)
    assert (filled.comment, filled.tags) == ("", [])
    assert filled.title == BEIT.title  # an identifier is not a real title
    assert filled.extra == {"summary": "We introduce BEiT."}


def test_apply_metadata_with_nothing_new_changes_nothing() -> None:
    paper = paper_from_metadata(BEIT, set())
    assert apply_metadata(paper, BEIT) == paper


def test_stub_paper_for_arxiv() -> None:
    stub = stub_paper(ARXIV, set())
    assert stub.key == "arxiv2106.08254"
    assert validate_key(stub.key) == stub.key
    assert stub.title == "arXiv:2106.08254"
    assert (stub.arxiv_id, stub.doi, stub.url) == (
        "2106.08254",
        "",
        "https://arxiv.org/abs/2106.08254",
    )
    assert stub.added == date.today().isoformat()
    assert is_pending(stub)
    assert (stub.comment, stub.tags, stub.entry_type) == ("", [], "")
    assert Paper.from_dict(stub.to_dict()) == stub  # the mark survives a save
    assert stub_paper(ARXIV, {"arxiv2106.08254"}).key == "arxiv2106.08254b"
    old = stub_paper(Identifier("arxiv", "hep-th/9901001"), set())
    assert old.key == "arxivhep-th9901001" and validate_key(old.key) == old.key


def test_stub_paper_for_doi() -> None:
    stub = stub_paper(DOI, set())
    assert stub.key == "doij.aiopen.2022.10.001"
    assert validate_key(stub.key) == stub.key
    assert stub.title == f"doi:{SURVEY_DOI}"
    assert (stub.doi, stub.arxiv_id, stub.url) == (SURVEY_DOI, "", f"https://doi.org/{SURVEY_DOI}")
    assert is_pending(stub)
    odd = stub_paper(Identifier("doi", "10.1002/(SICI)1097-4571(199806)49:8<693"), set())
    assert validate_key(odd.key) == odd.key


def test_a_stub_filled_later_keeps_its_key_and_the_users_words(
    server: CannedServer, fetcher: Fetcher
) -> None:
    server.add(arxiv_path("2106.08254"), Canned.file("arxiv_2106.08254.xml"))
    stub = stub_paper(ARXIV, set()).copy(comment="from the reading group", tags=["ssl"])
    filled = apply_metadata(stub, fetcher.fetch(ARXIV))
    assert filled.key == "arxiv2106.08254"
    assert filled.title == "BEiT: BERT Pre-Training of Image Transformers"
    assert (filled.comment, filled.tags) == ("from the reading group", ["ssl"])
    assert filled.year == 2021 and filled.primary_class == "cs.CV"
    assert not is_pending(filled)


def test_is_pending() -> None:
    assert not is_pending(Paper(key="k", title="t"))
    assert is_pending(Paper(key="k", title="t", extra={"pending": True}))
    assert not is_pending(Paper(key="k", title="t", extra={"pending": False}))


def test_paper_from_metadata() -> None:
    paper = paper_from_metadata(BEIT, {"other"})
    assert paper.key == "bao2021beit"
    assert paper.title == BEIT.title and paper.authors == BEIT.authors
    assert (paper.year, paper.venue, paper.entry_type) == (2021, "ICLR 2022", "inproceedings")
    assert (paper.arxiv_id, paper.primary_class, paper.url) == (
        "2106.08254",
        "cs.CV",
        "https://arxiv.org/abs/2106.08254",
    )
    assert paper.added == date.today().isoformat()
    assert paper.extra == {"summary": "We introduce BEiT."}
    assert (paper.comment, paper.tags) == ("", [])
    assert not is_pending(paper)
    assert paper_from_metadata(BEIT, {"bao2021beit"}).key == "bao2021beitb"
    assert Paper.from_dict(paper.to_dict()) == paper


def test_paper_from_metadata_without_title_or_sane_year() -> None:
    paper = paper_from_metadata(Metadata(doi=SURVEY_DOI, year=20222), set())
    assert paper.title == f"doi:{SURVEY_DOI}"
    assert paper.year is None
    assert paper.extra == {}
