"""paper-tui: a keyboard-first terminal reader for a reading log."""

__version__ = "0.1.0"
