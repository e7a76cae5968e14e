"""Commands: add, remove, index, status (being written by the lead)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    pass
