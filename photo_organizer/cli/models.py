"""Commands: models list / download / import / prepare / use / disable.

``models list --json`` is a stable interface: a list of
    {"name": str, "role": "clip"|"dino", "active": bool, "dim": int, "size_mb": int,
     "installed": bool, "path": str|null, "source": str|null, "sha256": str|null,
     "damaged": str|null}  (why weights on disk are not used: changed or incomplete)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photo_organizer.context import AppContext
from photo_organizer.environment import RANDOM_WEIGHTS_WARNING
from photo_organizer.models import registry, weights

if TYPE_CHECKING:
    from photo_organizer.embedding import EmbeddingReport


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list, download and import model weights; choose models")
    commands = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser("list", help="known models, which are active, which have weights")
    listing.add_argument("--json", action="store_true", help="machine-readable output (stable fields)")
    listing.set_defaults(handler=list_command)

    download = commands.add_parser("download", help="download a model's weights (needs internet)")
    download.add_argument("name", metavar="NAME", help="model name, see `models list`")
    download.set_defaults(handler=download_command)

    importing = commands.add_parser("import", help="install a weights file you have (offline)")
    importing.add_argument("name", metavar="NAME", help="model name, see `models list`")
    importing.add_argument("file", metavar="FILE", type=Path, help=".safetensors, .bin, .pt or .pth file")
    importing.set_defaults(handler=import_command)

    prepare = commands.add_parser("prepare", help="export the search model to ONNX now (import and download do it)")
    prepare.set_defaults(handler=prepare_command)

    use = commands.add_parser("use", help="make NAME the model of its role (search or albums)")
    use.add_argument("name", metavar="NAME")
    use.set_defaults(handler=use_command)

    disable = commands.add_parser("disable", help="stop computing one role's embeddings")
    disable.add_argument("role", choices=registry.ROLES)
    disable.set_defaults(handler=disable_command)


def warn_if_random_weights(ctx: AppContext) -> None:
    if ctx.models.options.random_weights:
        print(RANDOM_WEIGHTS_WARNING, file=sys.stderr)


def print_embedding_report(report: EmbeddingReport) -> None:
    """One line per embedding pass of `index` (nothing to do prints nothing)."""
    for one in report.passes:
        failed = f", {len(one.failed)} unreadable" if one.failed else ""
        print(f"embedded {one.embedded} photos with {one.stage} ({one.rate:.1f} photos/s{failed})")


def model_rows(ctx: AppContext) -> list[dict[str, Any]]:
    active = {role: registry.active_spec(ctx.library, role) for role in registry.ROLES}
    rows = []
    for spec, installed in ctx.models.listing():
        rows.append(
            {
                "name": spec.name,
                "role": spec.role,
                "active": active[spec.role] == spec,
                "dim": spec.dim,
                "size_mb": weights.size_mb(spec, installed),
                "installed": installed is not None,
                "path": str(installed.path) if installed else None,
                "source": installed.source if installed else None,
                "sha256": installed.sha256 if installed else None,
                "damaged": None if installed else ctx.models.damaged(spec),
            }
        )
    return rows


def list_command(args: argparse.Namespace, ctx: AppContext) -> int:
    warn_if_random_weights(ctx)
    rows = model_rows(ctx)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(rows)
        return 0
    print(f"{'':2}{'NAME':32}{'ROLE':6}{'DIM':>6}{'SIZE':>9}  WEIGHTS")
    for row in rows:
        mark = "* " if row["active"] else "  "
        where = f"installed ({row['source']}) {row['path']}" if row["installed"] else "not installed"
        if row["damaged"]:
            where = f"DAMAGED, import again ({row['damaged']})"
        print(f"{mark}{row['name']:32}{row['role']:6}{row['dim']:>6}{row['size_mb']:>6} MB  {where}")
    print("* = active model of its role (`photo-organizer models use NAME` to change)")
    return 0


def download_command(args: argparse.Namespace, ctx: AppContext) -> int:
    spec = registry.get_spec(args.name)
    print(f"downloading {spec.hub_name} (about {spec.size_mb} MB)...", file=sys.stderr)
    installed = ctx.models.download_weights(spec.name)
    print(f"installed {spec.name} in {installed.path}")
    return prepare_command(args, ctx)


def import_command(args: argparse.Namespace, ctx: AppContext) -> int:
    spec = registry.get_spec(args.name)
    print(f"checking {args.file} against {spec.name}...", file=sys.stderr)
    installed = ctx.models.import_weights(spec.name, args.file)
    print(f"imported {args.file} as {spec.name} into {installed.path} (sha256 {installed.sha256[:12]})")
    return prepare_command(args, ctx)


def prepare_command(args: argparse.Namespace, ctx: AppContext) -> int:
    """The active search model's ONNX towers, exported once: the first index and every search
    then run on ONNX Runtime (nothing to do when they exist or the weights are missing)."""
    from photo_organizer.pipeline import prepare_models

    report = prepare_models(ctx.library, ctx.models)
    if report is None:
        print("an index is running; it prepares the search model itself", file=sys.stderr)
    elif report.results:
        print("search model prepared: " + ", ".join(sorted(report.results)))
        for note in report.notes:
            print(note, file=sys.stderr)
    return 0


def use_command(args: argparse.Namespace, ctx: AppContext) -> int:
    spec = registry.set_active_model(ctx.library, args.name)
    print(f"{spec.role} model is now {spec.name}; `photo-organizer index` computes its embeddings.")
    if spec in ctx.models.missing_weights(ctx.library):
        print(weights.missing_weights_message(spec), file=sys.stderr)
    return 0


def disable_command(args: argparse.Namespace, ctx: AppContext) -> int:
    registry.disable_role(ctx.library, args.role)
    print(f"{args.role} embeddings are off; `photo-organizer models use NAME` turns them back on.")
    return 0
