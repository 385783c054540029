"""Helper for the kill test: save comment edits to a log in a tight loop until killed.

Usage: python tests/kill_writer.py LOG_PATH

Every save rewrites all comments as `<original comment> [vN]` with one N for
the whole file, N counting up from the version already on disk. So any file a
reader can see holds either the state before a save or after it: all comments
at one version. Prints `ready` once the log is open, so the parent can time its
SIGKILL to land among the saves. Stops by itself after a while, so a child left
behind by a crashed test run does not write forever.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paper_tui.store import Store

VERSION = re.compile(r" \[v(\d+)\]\Z")
MAX_SECONDS = 30.0


def split_version(comment: str) -> tuple[str, int]:
    """(`original comment`, N) of `original comment [vN]`; N is 0 when unversioned."""
    found = VERSION.search(comment)
    if found is None:
        return comment, 0
    return comment[: found.start()], int(found.group(1))


def main() -> None:
    store = Store.open(sys.argv[1])
    if store.readonly_reason:
        sys.exit(f"kill_writer: {store.readonly_reason}")
    bases = {p.key: split_version(p.comment)[0] for p in store.papers}
    version = max(split_version(p.comment)[1] for p in store.papers)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        version += 1
        store.update_many(
            (p.copy(comment=f"{bases[p.key]} [v{version}]"), p.key) for p in store.papers
        )


if __name__ == "__main__":
    main()
