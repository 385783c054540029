"""`python -m benchmarks [options]`: the same as `python benchmarks/run.py [options]`."""

from __future__ import annotations

from benchmarks.run import main

if __name__ == "__main__":
    raise SystemExit(main())
