"""Argument types shared by the commands: refused by argparse with a one-line message (exit 2)
instead of failing deep in the core with a traceback."""

from __future__ import annotations

import argparse
import math

SQLITE_MAX_INTEGER = 2**63 - 1  # ids are SQLite INTEGERs: a larger number cannot even be looked up


def record_id(text: str) -> int:
    """A photo, album or session id: a whole number from 1 to 2^63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number)") from None
    if not 1 <= value <= SQLITE_MAX_INTEGER:
        raise argparse.ArgumentTypeError(f"{text} is not an id (ids run from 1 to {SQLITE_MAX_INTEGER})")
    return value


def finite_float(text: str) -> float:
    """A number; nan and infinities are refused (they would silently hide or show everything)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def utf8_text(text: str) -> str:
    """Free text (a search, an album name): bytes that are not UTF-8 cannot be stored or encoded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError("the text is not valid UTF-8 (check the terminal's encoding)") from None
    return text
