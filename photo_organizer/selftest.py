"""End-to-end check of an installation: ``photo-organizer self-test`` / ``PhotoOrganizer --self-test``.

On a temporary library of generated photos it runs what a user does: index (scan, metadata,
thumbnails, embeddings), search by text and by an example photo, like/dislike marks and refine,
the albums re-cluster, and the faces pass (the dlib models run once on a generated
image; the generated photos hold no face). It prints one line per step as it goes and exits 0
when every step passed. Nothing is written outside a temporary folder, removed afterwards unless ``--keep``.

Weights: the installed ones, found where the entry point's ``ModelProvider`` finds them (the
user's data home, the extra weights folders, the weights bundled in the app; read only), so a passing self-test
means the installation works offline. ``--random-weights`` builds the same architectures with
random weights instead: it tests the pipeline only (results are meaningless).

No torch and no Qt at import: the heavy libraries load inside the steps that use them.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from photo_organizer import __version__
from photo_organizer.context import AppContext
from photo_organizer.errors import PhotoOrganizerError
from photo_organizer.home import DataHome, resolve_home
from photo_organizer.models.provider import ModelOptions, ModelProvider

DEFAULT_PER_CLASS = 5  # SMALLEST_ALBUM photos per class, so real features can form albums
DEFAULT_CLASSES = 4
PHOTO_SIZE = (320, 240)
TEXT_QUERY = "a photo of a sandy beach"

# A step added by the caller (the frozen window's Qt check): gets the test library's data
# home, returns its one-line detail, raises on failure.
ExtraStep = tuple[str, Callable[[Path], str]]


class SelfTestFailure(PhotoOrganizerError):
    """A self-test check found the installation not working; the message says which."""


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class SelfTestReport:
    random_weights: bool
    frozen: bool
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    kept_at: Path | None = None

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


@dataclass
class _State:
    """What the steps hand to each other."""

    ctx: AppContext
    photos_dir: Path
    models: dict[str, str]  # role -> model name to use
    classes: dict[int, str] = field(default_factory=dict)  # photo id -> generated class
    model_keys: dict[str, str] = field(default_factory=dict)  # role -> model key
    engine: Any = None
    text_results: list[Any] = field(default_factory=list)
    faces: Any = None  # the pipeline's faces pass report


# ---- the steps ---------------------------------------------------------------------------


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailure(message)


def step_environment(state: _State) -> str:
    from photo_organizer.resources import resource_path, resources_dir
    from photo_organizer.search.text_tower import open_clip_vocab_path

    resource_path("icon.png")
    vocabulary = open_clip_vocab_path()
    where = "frozen app" if getattr(sys, "frozen", False) else "source"
    return f"{where}, Python {platform.python_version()}, resources in {resources_dir()}, vocabulary {vocabulary.name}"


def step_photos(state: _State, per_class: int, class_count: int) -> str:
    from photo_organizer.sample_photos import CLASSES, make_labelled_folder

    classes = list(CLASSES)[:class_count]
    paths = make_labelled_folder(state.photos_dir, per_class=per_class, size=PHOTO_SIZE, classes=classes)
    return f"{len(paths)} JPEGs of {len(classes)} kinds ({', '.join(classes)})"


def step_index(state: _State) -> str:
    """The index pipeline without models: scan, metadata and thumbnails."""
    from photo_organizer.pipeline import PipelineOptions, update_library
    from photo_organizer.progress import drain
    from photo_organizer.thumbnails import ThumbnailCache, load_thumbnail

    library = state.ctx.library
    library.add_root(state.photos_dir)
    report = drain(update_library(library, state.ctx.models, PipelineOptions(embeddings=False))).index
    expected = sum(1 for _ in state.photos_dir.rglob("*.jpg"))
    _check(report.processed == expected and report.failed == 0,
           f"indexed {report.processed} of {expected} photos, {report.failed} failed")
    state.classes = {photo_id: Path(path).parent.name for photo_id, path in library.live_photo_paths()}
    thumbnails = ThumbnailCache(state.ctx.home.thumbnails_path)
    try:
        missing = [pid for pid in state.classes if not load_thumbnail(library, thumbnails, pid)]
    finally:
        thumbnails.close()
    _check(not missing, f"{len(missing)} photos have no thumbnail")
    return f"{report.processed} photos read, {len(state.classes)} thumbnails"


def step_embeddings(state: _State) -> str:
    """The rest of the same pipeline: CLIP and DINOv2 passes, albums, fast text search."""
    import numpy as np

    from photo_organizer.models.registry import ROLES, set_active_model
    from photo_organizer.pipeline import FACES, update_library
    from photo_organizer.progress import drain

    library, models = state.ctx.library, state.ctx.models
    for name in state.models.values():
        set_active_model(library, name)
    report = drain(update_library(library, models))
    _check(not report.missing_weights, " ".join(report.missing_weights))
    state.faces = report.results.get(FACES)
    passes = [one for embedding in report.embedding_reports for one in embedding.passes]
    parts = []
    for role in ROLES:
        key = models.active_key(library, role)
        _check(key is not None, f"no {role} model key after indexing")
        ids, vectors = library.embeddings(key)
        _check(set(ids.tolist()) == set(state.classes), f"{len(ids)} of {len(state.classes)} photos have {key}")
        norms = np.linalg.norm(vectors.astype(np.float32), axis=1)
        _check(bool(np.all(np.abs(norms - 1.0) < 1e-2)), f"{key} vectors are not unit length")
        state.model_keys[role] = key
        rate = next((p.rate for p in passes if role in p.stage.split("+")), 0.0)
        parts.append(f"{key} ({vectors.shape[1]}-d, {rate:.1f} photos/s)")
    return "; ".join(parts)


def step_search(state: _State) -> str:
    from photo_organizer.search import SearchEngine, SearchQuery, SearchView

    view = SearchView(cutoff_z=None, limit=len(state.classes))
    engine = state.engine = SearchEngine.open(state.ctx.models, state.ctx.library)
    results = engine.search(SearchQuery(text=TEXT_QUERY, view=view))
    _check(len(results) == len(state.classes), f"text search returned {len(results)} of {len(state.classes)} photos")
    scores = [result.score for result in results]
    _check(scores == sorted(scores, reverse=True), "text search results are not ordered by score")
    text_source = engine.encoder.last_source
    state.text_results = results
    example = results[0].photo_id
    similar = engine.search(SearchQuery(photo_id=example, view=view))
    _check(example not in {r.photo_id for r in similar}, "the example photo came back as its own result")
    _check(len(similar) == len(state.classes) - 1, f"example search returned {len(similar)} photos")
    return f"text query ({text_source} encoder) ranked {len(results)} photos; example photo {example}: {len(similar)} similar"


def step_onnx_text(state: _State) -> str:
    """The fast text path: the index pipeline exported the text tower, so ONNX Runtime answers."""
    import json

    from photo_organizer.search import SearchEngine, SearchQuery, SearchView
    from photo_organizer.search.text_tower import META_FILE

    messages: list[str] = []
    home, library = state.ctx.home, state.ctx.library
    engine = SearchEngine.open(state.ctx.models, library, notify=messages.append)
    engine.search(SearchQuery(text="a snowy field", view=SearchView(cutoff_z=None, limit=3)))
    source = engine.encoder.last_source
    _check(source == "onnx", f"a text query after indexing ran on {source or 'nothing'}: {' '.join(messages)}")
    meta = json.loads((home.model_exports(engine.encoder.model_key) / META_FILE).read_text())
    return f"text tower exported by indexing; ONNX Runtime answers, within {meta['max_difference']:.1e} of torch"


def step_feedback(state: _State) -> str:
    from photo_organizer.search import SearchQuery, SearchView
    from photo_organizer.search.session import SessionStore

    engine = state.engine
    view = SearchView(cutoff_z=None, limit=len(state.classes))
    first = engine.search(SearchQuery(text=TEXT_QUERY, view=view))
    wanted = state.classes[first[0].photo_id]
    shown = first[: max(4, len(first) // 2)]
    liked = {r.photo_id for r in shown if state.classes[r.photo_id] == wanted}
    disliked = {r.photo_id for r in shown} - liked
    if not disliked:  # the top half was all one kind: dislike the best photo of another kind
        disliked = {next(r.photo_id for r in first if state.classes[r.photo_id] != wanted)}
    for photo_id in liked:
        engine.mark(photo_id, "liked")
    for photo_id in disliked:
        engine.mark(photo_id, "disliked")
    refined = engine.refine()
    rank = {r.photo_id: r.rank for r in refined}
    _check(all(photo in rank for photo in liked | disliked), "a rated photo is missing from the refined results")
    _check(max(rank[p] for p in liked) < min(rank[p] for p in disliked),
           "after refine a disliked photo ranks above a liked one")
    wrong = [r.photo_id for r in refined if r.mark and r.predicted != r.mark]
    _check(not wrong, f"photos {wrong} are predicted against the user's own mark")
    stored = SessionStore(state.ctx.library).load(engine.session_id).marks
    _check(stored == engine.marks, "the marks saved in the library differ from the marks given")
    same_kind = sum(1 for r in refined[: len(liked)] if state.classes[r.photo_id] == wanted)
    return (f"{len(liked)} liked, {len(disliked)} disliked ({wanted}); round {engine.round}: "
            f"{same_kind}/{len(liked)} of the top are {wanted}; marks saved")


def step_albums(state: _State) -> str:
    from photo_organizer.albums import store
    from photo_organizer.albums.recluster import recluster_job
    from photo_organizer.models.registry import DINO
    from photo_organizer.progress import drain

    library = state.ctx.library
    report = drain(recluster_job(library, state.model_keys[DINO]))
    _check(report.photos == len(state.classes), f"clustered {report.photos} of {len(state.classes)} photos")
    albums = store.list_albums(library, include_hidden=True)
    placed: dict[int, int] = {}
    for album in albums:
        for member in store.members(library, album.id):
            _check(member.photo_id in state.classes, f"album {album.id} holds unknown photo {member.photo_id}")
            placed[member.photo_id] = album.id
    _check(len(placed) + report.unsorted == len(state.classes),
           f"{len(placed)} photos in albums + {report.unsorted} unsorted != {len(state.classes)}")
    purity = _purity(albums, placed, state.classes)
    return f"{len(albums)} albums, {report.unsorted} unsorted photos{purity}"


def step_faces(state: _State) -> str:
    """The three dlib models run once on a generated image; the pipeline's faces pass read
    every photo (the embeddings step ran it)."""
    from photo_organizer.people.detection import check_face_models

    models = check_face_models()
    report = state.faces
    _check(report is not None, "the index pipeline did not run the faces pass")
    _check(report.scanned == len(state.classes) and not report.failed,
           f"the faces pass read {report.scanned} of {len(state.classes)} photos, {len(report.failed)} failed")
    return f"{report.scanned} photos scanned ({report.rate:.1f}/s), {report.faces} faces; {models}"


def _purity(albums: list[Any], placed: dict[int, int], classes: dict[int, str]) -> str:
    """Share of album members of their album's main kind (meaningful with real weights only)."""
    if not albums:
        return ""
    from collections import Counter

    kinds: dict[int, Counter] = {album.id: Counter() for album in albums}
    for photo_id, album_id in placed.items():
        kinds[album_id][classes[photo_id]] += 1
    main = sum(counter.most_common(1)[0][1] for counter in kinds.values() if counter)
    return f", {100.0 * main / max(1, len(placed)):.0f}% of members of their album's main kind"


# ---- running -----------------------------------------------------------------------------


def choose_models(user_models: ModelProvider, random_weights: bool, requested: dict[str, str] | None) -> dict[str, str]:
    """Role -> model name: the requested or default one, else (real weights) any installed one."""
    from photo_organizer.models.registry import DEFAULT_MODELS, ROLES, get_spec, specs_for_role
    from photo_organizer.models.weights import missing_weights_message

    chosen = {role: get_spec((requested or {}).get(role) or DEFAULT_MODELS[role]).name for role in ROLES}
    if random_weights:
        return chosen
    for role, name in chosen.items():
        if user_models.installed(get_spec(name)) is not None or (requested or {}).get(role):
            continue
        installed = [spec.name for spec in specs_for_role(role) if user_models.installed(spec)]
        if not installed:
            raise SelfTestFailure(
                f"{missing_weights_message(get_spec(name))} To test the pipeline without weights, "
                "run the self-test with --random-weights."
            )
        chosen[role] = installed[0]
    return chosen


def self_test_model_options(user_models: ModelProvider, random_weights: bool) -> ModelOptions:
    """The temporary library's models: random weights on request, the user's installed weights
    (read only), the device the user chose."""
    folders = (user_models.home.weights_dir, *user_models.options.weights_folders)
    return ModelOptions(random_weights=random_weights, weights_folders=folders, device=user_models.options.device)


def run_self_test(
    *,
    random_weights: bool = False,
    user_models: ModelProvider | None = None,
    models: dict[str, str] | None = None,
    per_class: int = DEFAULT_PER_CLASS,
    classes: int = DEFAULT_CLASSES,
    keep: Path | None = None,
    out: TextIO | None = None,
    extra_steps: Sequence[ExtraStep] = (),
) -> SelfTestReport:
    """Run every step on a temporary library, printing one line per step to ``out``.

    ``user_models``: the entry point's models, whose installed weights and device are used
    (default: the user's data home's weights, read only).
    ``models``: role -> model name, instead of the library defaults (or the installed ones).
    ``extra_steps`` run after the core steps, in the same environment.
    Stops at the first failing step; the report says which and why.
    """
    out = out or sys.stdout
    user_models = user_models or ModelProvider(DataHome(resolve_home()))
    report = SelfTestReport(random_weights=random_weights, frozen=bool(getattr(sys, "frozen", False)))
    started = time.perf_counter()
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="photo-organizer-selftest-"))
    _print_header(out, random_weights)
    try:
        _run_steps(report, root, user_models, random_weights, models, per_class, classes, out, extra_steps)
    finally:
        report.seconds = time.perf_counter() - started
        if keep:
            report.kept_at = root
        else:
            shutil.rmtree(root, ignore_errors=True)
    _print_summary(out, report)
    return report


def _run_steps(report: SelfTestReport, root: Path, user_models: ModelProvider, random_weights: bool,
               models: dict[str, str] | None, per_class: int, classes: int, out: TextIO,
               extra_steps: Sequence[ExtraStep]) -> None:
    ctx = AppContext.open(root / "home", self_test_model_options(user_models, random_weights))
    state = _State(ctx=ctx, photos_dir=root / "photos", models={})
    steps: list[tuple[str, Callable[[], str]]] = [
        ("environment", lambda: step_environment(state)),
        ("models", lambda: _step_models(state, user_models, random_weights, models)),
        ("photos", lambda: step_photos(state, per_class, classes)),
        ("index", lambda: step_index(state)),
        ("embeddings", lambda: step_embeddings(state)),
        ("search", lambda: step_search(state)),
        ("onnx text", lambda: step_onnx_text(state)),
        ("feedback", lambda: step_feedback(state)),
        ("albums", lambda: step_albums(state)),
        ("faces", lambda: step_faces(state)),
        *((name, lambda step=step: step(ctx.home.root)) for name, step in extra_steps),
    ]
    try:
        for name, step in steps:
            result = _timed(name, step)
            report.steps.append(result)
            _print_step(out, result)
            if not result.ok:
                break
    finally:
        ctx.close()
        ctx.models.clear()  # the encoders built here belong to the temporary library


def _step_models(state: _State, user_models: ModelProvider, random_weights: bool, models: dict[str, str] | None) -> str:
    state.models = choose_models(user_models, random_weights, models)
    return ", ".join(
        f"{role} {name} ({'RANDOM weights' if random_weights else _weights_origin(user_models, name)})"
        for role, name in state.models.items()
    )


def _weights_origin(user_models: ModelProvider, name: str) -> str:
    """Where the weights the app will use come from: the bundle, or a folder of installed weights."""
    from photo_organizer.models.registry import get_spec

    installed = user_models.installed(get_spec(name))
    if installed is None:
        return "no weights"
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and Path(bundle) in installed.folder.parents:
        return "weights bundled in the app"
    return f"weights in {installed.folder.parent}"


def _timed(name: str, step: Callable[[], str]) -> StepResult:
    started = time.perf_counter()
    try:
        detail, ok = step(), True
    except PhotoOrganizerError as error:
        detail, ok = str(error), False
    except Exception as error:  # noqa: BLE001 - the report must name any failure, then exit 1
        detail, ok = f"{type(error).__name__}: {error}", False
    return StepResult(name, ok, time.perf_counter() - started, detail)


def _print_header(out: TextIO, random_weights: bool) -> None:
    from photo_organizer.environment import RANDOM_WEIGHTS_WARNING

    print(f"Photo Organizer {__version__} self-test ({platform.system()} {platform.machine()})", file=out)
    if random_weights:
        print(RANDOM_WEIGHTS_WARNING, file=out)
    out.flush()


def _print_step(out: TextIO, step: StepResult) -> None:
    print(f"  {'ok  ' if step.ok else 'FAIL'} {step.name:<12} {step.seconds:6.1f} s  {step.detail}", file=out)
    out.flush()


def _print_summary(out: TextIO, report: SelfTestReport) -> None:
    verdict = "passed" if report.passed else "FAILED"
    mode = " (random weights: pipeline only)" if report.random_weights else ""
    print(f"self-test {verdict}: {len(report.steps)} steps in {report.seconds:.1f} s{mode}", file=out)
    if report.kept_at:
        print(f"the test library is kept in {report.kept_at}", file=out)
    out.flush()


# ---- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``photo-organizer self-test`` and the frozen app's ``--self-test``."""
    parser.add_argument("--random-weights", action="store_true",
                        help="random model weights: tests the pipeline only (no weights needed)")
    parser.add_argument("--per-class", type=int, default=DEFAULT_PER_CLASS, metavar="N",
                        help=f"generated photos per kind (default {DEFAULT_PER_CLASS})")
    parser.add_argument("--classes", type=int, default=DEFAULT_CLASSES, metavar="N",
                        help=f"kinds of generated photos, 2 to 6 (default {DEFAULT_CLASSES})")
    parser.add_argument("--clip-model", metavar="NAME", help="CLIP model to test (default: the installed one)")
    parser.add_argument("--dino-model", metavar="NAME", help="DINOv2 model to test (default: the installed one)")
    parser.add_argument("--keep", metavar="DIR", help="build the test library in DIR and keep it")


def run_from_arguments(args: argparse.Namespace, user_models: ModelProvider, extra_steps: Sequence[ExtraStep] = ()) -> int:
    if not 2 <= args.classes <= 6 or args.per_class < 1:
        raise SelfTestFailure("--classes must be 2 to 6 and --per-class at least 1.")
    models = {role: name for role, name in (("clip", args.clip_model), ("dino", args.dino_model)) if name}
    report = run_self_test(
        random_weights=args.random_weights,
        user_models=user_models,
        models=models or None,
        per_class=args.per_class,
        classes=args.classes,
        keep=Path(args.keep).expanduser().resolve() if args.keep else None,
        extra_steps=extra_steps,
    )
    return 0 if report.passed else 1


def main(argv: list[str] | None = None, extra_steps: Sequence[ExtraStep] = ()) -> int:
    """The frozen app's ``--self-test`` (its other arguments are given here)."""
    parser = argparse.ArgumentParser(prog="PhotoOrganizer --self-test", description=__doc__.splitlines()[0])
    parser.add_argument("--home", metavar="DIR", help="data folder whose installed weights are used")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        from photo_organizer.environment import model_options_from_environment

        user_models = ModelProvider(DataHome(resolve_home(args.home)), model_options_from_environment())
        return run_from_arguments(args, user_models, extra_steps)
    except PhotoOrganizerError as error:
        print(f"self-test: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
