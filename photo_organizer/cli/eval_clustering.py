"""`photo-organizer eval clustering` (registered by cli.evaluate)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Filled in by the issue that owns this harness."""
