"""Commands: itae status / calibrate / inspect / enable / disable / set.

ITAE attenuates DINOv2's artifact tokens in the last block (models/itae.py); its settings are
part of the DINOv2 model key, so any change here re-embeds DINOv2 features gradually at the
next `photo-organizer index`. ``itae status --json`` and ``itae calibrate --json`` print
    {"settings": {"enabled", "source", "threshold", "num_prefix_tokens", "calibrated_for"},
     "active": bool, "key_suffix": str, "model": str|null, "calibration": {...}|null}
and the calibration summary (modes, θ, Ashman's D, fraction flagged...) respectively.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from photo_organizer.cli.arguments import finite_float, record_id
from photo_organizer.context import AppContext
from photo_organizer.errors import LibraryError, ModelError
from photo_organizer.itae_calibration import CALIBRATION_SETTING, DEFAULT_SAMPLE, METHODS
from photo_organizer.models.itae import SOURCES, ITAESettings, load_settings, save_settings
from photo_organizer.models.registry import DINO, ModelSpec, active_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    itae = subparsers.add_parser("itae", help="DINOv2 artifact attenuation for albums: calibrate, inspect, switch")
    commands = itae.add_subparsers(dest="itae_command", metavar="SUBCOMMAND", required=True)

    status = commands.add_parser("status", help="current ITAE settings and the last calibration")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=status_command)

    calibrate = commands.add_parser("calibrate", help="find the artifact threshold θ on a sample of your photos")
    calibrate.add_argument("--source", choices=SOURCES, default="v", help="projection whose norms flag artifacts")
    calibrate.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, metavar="N", help="photos to sample")
    calibrate.add_argument("--method", choices=METHODS, default="gmm", help="valley finder (default gmm)")
    calibrate.add_argument("--plot", type=Path, metavar="FILE.png", help="also write the norm histogram")
    calibrate.add_argument("--seed", type=int, default=0, help="which photos are sampled")
    calibrate.add_argument("--json", action="store_true", help="machine-readable summary")
    calibrate.add_argument("--quiet", action="store_true", help="no progress output")
    calibrate.set_defaults(handler=calibrate_command)

    inspect = commands.add_parser("inspect", help="draw a photo with its artifact patches marked")
    inspect.add_argument("photo", metavar="PHOTO", help="a photo file, or the id of a photo of the library")
    inspect.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    inspect.add_argument("--source", choices=SOURCES, help="default: the calibrated source")
    inspect.add_argument("--threshold", type=finite_float, help="default: the calibrated θ")
    inspect.set_defaults(handler=inspect_command)

    enable = commands.add_parser("enable", help="use ITAE for album features (needs a calibrated θ)")
    enable.set_defaults(handler=enable_command)
    disable = commands.add_parser("disable", help="plain DINOv2 features for albums")
    disable.set_defaults(handler=disable_command)

    setting = commands.add_parser("set", help="set θ (and the source) by hand, for the active DINOv2 model")
    setting.add_argument("--threshold", required=True, help="a number, or 'none' to clear it")
    setting.add_argument("--source", choices=SOURCES, help="projection whose norms θ applies to")
    setting.set_defaults(handler=set_command)


def _dino_spec(ctx: AppContext) -> ModelSpec:
    spec = active_spec(ctx.library, DINO)
    if spec is None:
        raise ModelError("The DINOv2 model is turned off in this library; `photo-organizer models use NAME` turns it on.")
    return spec


def _status(ctx: AppContext) -> dict[str, Any]:
    spec = active_spec(ctx.library, DINO)
    stored = load_settings(ctx.library)
    effective = stored.for_model(spec.name) if spec else stored
    return {
        "settings": stored.to_setting(),
        "active": bool(spec) and effective.active,
        "key_suffix": effective.key_suffix(),
        "model": spec.name if spec else None,
        "calibration": ctx.library.get_setting(CALIBRATION_SETTING),
    }


def _describe_status(status: dict[str, Any]) -> str:
    settings = ITAESettings.from_setting(status["settings"])
    if status["active"]:
        state = f"on: source {settings.source}, θ = {settings.threshold:.5g} ({status['model']})"
    elif not settings.enabled:
        state = "off"
    elif settings.threshold is None or settings.for_model(status["model"] or "").threshold is None:
        state = f"on, but not calibrated for {status['model']}: a no-op until `photo-organizer itae calibrate`"
    else:
        state = "on, but θ = -inf: a no-op"
    return f"ITAE {state}\nDINOv2 model key suffix: {status['key_suffix']}"


def status_command(args: argparse.Namespace, ctx: AppContext) -> int:
    status = _status(ctx)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json(status)
    else:
        print(_describe_status(status))
    return 0


def _print_change(ctx: AppContext, before: str) -> None:
    status = _status(ctx)
    print(_describe_status(status))
    if status["key_suffix"] != before:
        print("DINOv2 features are re-embedded under the new key by the next `photo-organizer index`.")


def calibrate_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.cli.models import warn_if_random_weights
    from photo_organizer.itae_calibration import calibrate_library, describe
    from photo_organizer.progress import run_with_bar

    warn_if_random_weights(ctx)
    if args.sample < 1:
        raise ModelError("--sample must be at least 1.")
    before = _status(ctx)["key_suffix"]
    job = calibrate_library(
        ctx.library,
        ctx.models,
        source=args.source,
        sample=args.sample,
        method=args.method,
        seed=args.seed,
    )
    calibration = run_with_bar(job, quiet=args.quiet or args.json)
    if args.plot:
        from photo_organizer.itae_drawing import histogram_png

        histogram_png(calibration.norms, calibration.valley, args.plot)
    if args.json:
        from photo_organizer.cli.main import print_json

        print_json({**calibration.as_dict(), "plot": str(args.plot) if args.plot else None})
        return 0
    print(describe(calibration))
    if args.plot:
        print(f"histogram written to {args.plot}")
    if _status(ctx)["key_suffix"] != before:
        print("DINOv2 features are re-embedded under the new key by the next `photo-organizer index`.")
    return 0


def inspect_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.itae_calibration import inspect_photo
    from photo_organizer.itae_drawing import inspection_png

    spec = _dino_spec(ctx)
    settings = load_settings(ctx.library).for_model(spec.name)
    source = args.source or settings.source
    threshold = args.threshold if args.threshold is not None else settings.threshold
    if threshold is not None and args.threshold is None and source != settings.source:
        threshold = None  # θ was calibrated on another projection's norms
    photo = _photo_file(ctx, args.photo)  # before the model loads
    inspection = inspect_photo(ctx.models.dino(ctx.library), photo, source, threshold)
    try:
        inspection_png(inspection, args.out)
    except OSError as error:
        raise LibraryError(f"The picture cannot be written to {args.out}: {error.strerror or error}.") from None
    flagged = int(inspection.flagged.sum())
    if threshold is None:
        print(f"No θ for source {source} (run `photo-organizer itae calibrate`): drew the norm map only.")
    else:
        print(f"{flagged} of {inspection.flagged.size} patches at or below θ = {threshold:.5g} (source {source}).")
    print(f"written to {args.out}")
    return 0


def _photo_file(ctx: AppContext, text: str) -> Path:
    path = Path(text).expanduser()
    if path.exists():
        return path
    try:
        photo_id = record_id(text)
    except argparse.ArgumentTypeError:
        raise LibraryError(f"There is no file {path}.") from None
    found = ctx.library.photos([photo_id])
    if not found:
        raise LibraryError(f"There is no photo with id {photo_id} in the library, and no file named {text}.")
    return Path(found[0].path)


def enable_command(args: argparse.Namespace, ctx: AppContext) -> int:
    before = _status(ctx)["key_suffix"]
    save_settings(ctx.library, replace(load_settings(ctx.library), enabled=True))
    _print_change(ctx, before)
    return 0


def disable_command(args: argparse.Namespace, ctx: AppContext) -> int:
    before = _status(ctx)["key_suffix"]
    save_settings(ctx.library, replace(load_settings(ctx.library), enabled=False))
    _print_change(ctx, before)
    return 0


def set_command(args: argparse.Namespace, ctx: AppContext) -> int:
    spec = _dino_spec(ctx)
    before = _status(ctx)["key_suffix"]
    threshold = _parse_threshold(args.threshold)
    current = load_settings(ctx.library)
    settings = replace(
        current,
        source=args.source or current.source,
        threshold=threshold,
        calibrated_for=spec.name if threshold is not None else None,
    )
    save_settings(ctx.library, settings)
    _print_change(ctx, before)
    return 0


def _parse_threshold(text: str) -> float | None:
    if text.strip().lower() in ("none", "auto", ""):
        return None
    try:
        return float(text)
    except ValueError:
        raise ModelError(f"--threshold must be a number or 'none', not {text!r}.") from None
