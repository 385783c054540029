"""Shared fixtures: a private copy of the shipped log, and no way to reach real user data."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: holds `paper_tui/` and the shipped `entries.json`."""

# The package is not installed in the test environment; make `import paper_tui`
# work however pytest is started (`pytest`, `python -m pytest`, from any folder).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHIPPED_LOG = ROOT / "entries.json"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point every test's data and config folders at fresh temporary folders.

    platformdirs reads XDG_DATA_HOME / XDG_CONFIG_HOME, and PAPER_TUI_DB would
    override the log path, so no test can read or write the user's real log.
    """
    base = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(base / "data"))
        mp.setenv("XDG_CONFIG_HOME", str(base / "config"))
        for name in (
            "PAPER_TUI_DB",
            "PAPER_TUI_CONFIG",
            "PAPER_TUI_ARXIV_URL",
            "PAPER_TUI_CROSSREF_URL",
            "PAPER_TUI_FETCH_TIMEOUT",
        ):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """A writable copy of the shipped entries.json in the test's own folder."""
    path = tmp_path / "entries.json"
    shutil.copyfile(SHIPPED_LOG, path)
    return path


# Property tests run on a shared 2-core machine: no per-example deadline (a busy
# moment is not a bug) and no example database written into the checkout. They are
# derandomized so that CI on a clean clone runs the same examples as the last local
# run; a failure found while exploring becomes an @example.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile(
        "paper-tui", deadline=None, database=None, derandomize=True
    )
    # `pytest --hypothesis-profile=explore` searches with fresh random examples.
    _hypothesis_settings.register_profile(
        "explore", deadline=None, database=None, max_examples=2000
    )
    _hypothesis_settings.load_profile("paper-tui")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
