"""Commands: evaluate (registered by cli.main)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Filled in by the issue that owns these commands."""
