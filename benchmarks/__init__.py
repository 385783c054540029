"""Benchmarks for paper-tui: `python -m benchmarks` (see `benchmarks/run.py`).

`generate` writes deterministic, realistic reading logs of any size; `run`
measures load, first paint (headless and as a whole process in tmux), filter
keystrokes, cursor moves, saving and peak memory, and prints a Markdown table.
"""
