"""The command line: same core, no Textual, clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest

from .app_helpers import disk_keys, disk_papers, run_cli
from .conftest import ROOT

DATA = Path(__file__).parent / "data"


run = run_cli


def test_help_explains_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paper_tui", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    for word in ("PATH", "--create", "list", "cite", "import", "export", "PAPER_TUI_DB"):
        assert word in result.stdout


def test_list_tag_and_search(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    code, out, _ = run(capsys, "list", "--db", str(log_path))
    assert code == 0 and len(out.splitlines()) == 21
    code, out, _ = run(capsys, "list", "--db", str(log_path), "--tag", "vit", "--tag", "google")
    assert [line.split()[0] for line in out.splitlines()] == [
        "dai2021coatnet",
        "riquelme2021scaling",
    ]
    code, out, _ = run(
        capsys, "list", "--db", str(log_path), "--search", "蒸留 distillation", "--json"
    )
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "list", "--db", str(log_path), "--search", "Distillation", "--json")
    assert [p["key"] for p in json.loads(out)] == ["stanton2021does", "beyer2021knowledge"]


def test_show(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    code, out, _ = run(capsys, "show", "bao2021beit", "--db", str(log_path))
    assert code == 0
    assert "BEiT: BERT Pre-Training of Image Transformers" in out
    assert "Microsoft論文。Self-supervisedの手法で、ViTを良くする。" in out


def test_cite_keys_and_tag(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    code, out, _ = run(capsys, "cite", "bao2021beit", "dai2021coatnet", "--db", str(log_path))
    assert code == 0
    assert [e.key for e in bibtexparser.parse_string(out).entries] == [
        "bao2021beit",
        "dai2021coatnet",
    ]
    code, out, _ = run(
        capsys, "cite", "--tag", "distillation", "--format", "url", "--db", str(log_path)
    )
    assert out.split() == ["https://arxiv.org/abs/2106.05945", "https://arxiv.org/abs/2106.05237"]


def test_unknown_key_and_bad_file_exit_2(
    capsys: pytest.CaptureFixture[str], log_path: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "show", "nobody2099", "--db", str(log_path))
    assert code == 2 and "no paper with the key 'nobody2099'" in err
    code, _, err = run(capsys, "cite", "nobody2099", "--db", str(log_path))
    assert code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "list", "--db", str(bad))
    assert code == 2 and "not valid JSON at line 1, column 2" in err and "Traceback" not in err
    code, _, err = run(capsys, "list", "--db", str(tmp_path / "missing.json"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "list", "--db", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_add_from_command_line(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    code, out, _ = run(
        capsys,
        "add",
        "Attention Is All You Need",
        "--author",
        "Ashish Vaswani",
        "--year",
        "2017",
        "--arxiv",
        "arXiv:1706.03762v5",
        "--tag",
        "NLP",
        "--db",
        str(log_path),
    )
    assert code == 0 and "vaswani2017attention" in out
    assert disk_papers(log_path)["vaswani2017attention"]["tags"] == ["nlp"]
    code, _, err = run(capsys, "add", "Dup", "--arxiv", "2106.08254", "--db", str(log_path))
    assert code == 2 and "bao2021beit" in err
    code, _, err = run(capsys, "add", "Bad year", "--year", "20x7", "--db", str(log_path))
    assert code == 2 and "not a number" in err


def test_export_and_import_round_trip(
    capsys: pytest.CaptureFixture[str], log_path: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "log.md"
    code, _, err = run(
        capsys, "export", "--format", "markdown", "-o", str(out_file), "--db", str(log_path)
    )
    assert code == 0 and "Wrote 21 papers" in err
    empty = tmp_path / "empty.json"
    from paper_tui.store import Store

    Store.create(empty)
    code, out, _ = run(capsys, "import", str(out_file), "--db", str(empty), "--dry-run")
    assert code == 0 and "21 added" in out and disk_keys(empty) == []
    code, out, _ = run(capsys, "import", str(out_file), "--db", str(empty))
    assert code == 0 and "21 added" in out
    assert [p["comment"] for p in disk_papers(empty).values()] == [
        p["comment"] for p in disk_papers(log_path).values()
    ]
    code, out, _ = run(capsys, "import", str(out_file), "--db", str(empty))
    assert code == 0 and "0 added" in out and len(disk_keys(empty)) == 21


def test_import_seed_text_log(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from paper_tui.store import Store

    log = Store.create(tmp_path / "new.json")
    code, out, _ = run(capsys, "import", str(DATA / "seed_log.txt"), "--db", str(log))
    assert code == 0 and "21 added" in out
    lines = (DATA / "seed_log.txt").read_text(encoding="utf-8").splitlines()
    assert [p["comment"] for p in disk_papers(log).values()] == lines[2::2]


def test_import_bad_file_changes_nothing(
    capsys: pytest.CaptureFixture[str], log_path: Path, tmp_path: Path
) -> None:
    before = log_path.read_bytes()
    binary = tmp_path / "x.bib"
    binary.write_bytes(b"\x00\x01\x02binary")
    code, _, err = run(capsys, "import", str(binary), "--db", str(log_path))
    assert code == 2 and "Traceback" not in err
    assert log_path.read_bytes() == before


def test_subcommands_do_not_load_textual(log_path: Path) -> None:
    code = (
        "import sys\n"
        "from paper_tui.__main__ import main\n"
        f"main(['list', '--db', {str(log_path)!r}])\n"
        "assert 'textual' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
