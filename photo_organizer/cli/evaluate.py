"""`photo-organizer eval ...`: evaluation harnesses on labelled folders (one sub-folder per class)."""

from __future__ import annotations

import argparse

from photo_organizer.cli import eval_clustering, eval_feedback, taught


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="evaluate clustering or relevance feedback on a labelled folder")
    group = parser.add_subparsers(dest="eval_command", metavar="WHAT")
    eval_clustering.register(group)
    eval_feedback.register(group)
    taught.register_eval(group)
