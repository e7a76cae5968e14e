"""Benchmark: our side of the table against the peer rclip (issue 13), on one folder.

    ../shared/tools/rclip_peer.sh FOLDER > /tmp/peer.log 2>&1
    python benchmarks/bench_vs_peer.py FOLDER --peer-log /tmp/peer.log

Fresh data home, the product's default models (ViT-B-32 + DINOv2 ViT-B/14) with random
weights (speed does not depend on the weights), every figure a whole process the way a user
runs it, except the warm text search (in one running process, new texts each time so the
query cache cannot answer). Peak RSS is sampled from /proc every 50 ms and filed under the
label of the last progress line printed, so the table also says roughly where the memory goes
(a stage's model load is filed under the previous label until its first line is printed).
With the peer's printout, the ratio column (ours / rclip's) is added. Run the peer right
before: absolute times on a shared machine vary from one hour to the next.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "a dog running on the beach"  # the peer's query
# New texts in every run (a reused data home's query cache must not answer), about as many
# tokens as the peer's query: a 4-letter word and a digit.
NONCE = "".join(random.choices(string.ascii_lowercase, k=4))

def _labels_after_search_works() -> set[str]:
    """Progress labels of the steps after the CLIP pass: the first one printed means every
    photo has its search vector (whether the pass or reading the photos computed it)."""
    sys.path.insert(0, str(REPO))
    from photo_organizer.pipeline import CLIP_PASS, STAGES

    keys = [stage.key for stage in STAGES]
    return {stage.label for stage in STAGES[keys.index(CLIP_PASS) + 1 :]}


CODE = [REPO]  # the package measured (--code: another checkout, for before/after figures)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Outside any checkout: ``python -m`` puts the working folder first on sys.path."""
    return subprocess.run(command, env=_env(), cwd=tempfile.gettempdir(), **kwargs)


def _env() -> dict[str, str]:
    return {**os.environ, "PHOTO_ORGANIZER_RANDOM_WEIGHTS": "1", "PYTHONPATH": str(CODE[0])}


def _command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "photo_organizer", "--home", str(home), *args]


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def first_index(home: Path, *command: str) -> dict:
    """Whole first `index` (or ``command``): time until the CLIP pass is done, total, peak RSS
    per stage."""
    started = time.perf_counter()
    process = subprocess.Popen(
        _command(home, *(command or ("index",))), env=_env(), cwd=tempfile.gettempdir(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    stage = ["start"]
    peaks: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), _rss_mib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    clip_done = None
    after_search = _labels_after_search_works()
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        match = re.match(r"\[([^\]]+)\]", line)
        if not match:
            continue
        stage[0] = match.group(1)
        if stage[0] in after_search and clip_done is None:
            clip_done = time.perf_counter() - started
    process.wait()
    total = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit("first index failed:\n" + "".join(lines[-30:]))
    return {"clip_done": clip_done or total, "total": total, "peaks": peaks, "peak": max(peaks.values())}


def whole_process(home: Path, args: list[str], runs: int) -> float:
    """Median wall seconds of a whole process (``args`` may be a callable making fresh ones)."""
    times = []
    for run in range(runs):
        command = args(run) if callable(args) else args
        started = time.perf_counter()
        _run(_command(home, *command), check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def new_image(folder: Path, out: Path, run: int) -> Path:
    """A file not in the library: a crop of one of its photos, different for every run."""
    from PIL import Image

    source = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[run]
    with Image.open(source) as image:
        image = image.convert("RGB")
        path = out / f"query_{run}.jpg"
        image.crop((run + 1, run + 1, image.width - 7, image.height - 5)).save(path, quality=90)
    return path


WARM = """
import statistics, sys, time
from photo_organizer.context import AppContext
from photo_organizer.environment import model_options_from_environment
from photo_organizer.search.engine import SearchEngine
from photo_organizer.search.query import SearchQuery
ctx = AppContext.open(sys.argv[1], model_options_from_environment())
engine = SearchEngine.open(ctx.models, ctx.library)
engine.search(SearchQuery(text="warm up"))
times, parts = [], []
for i in range(int(sys.argv[2])):
    started = time.perf_counter()
    engine.search(SearchQuery(text=f"{sys.argv[3]}{i}"))
    times.append((time.perf_counter() - started) * 1000)
    parts.append(dict(engine.timings))
keys = parts[0].keys()
print("WARM", statistics.median(times), engine.encoder.last_source,
      " ".join(f"{k}={statistics.median(p[k] for p in parts):.1f}" for k in keys))
"""


def warm_text_search(home: Path, runs: int) -> tuple[float, str]:
    out = _run([sys.executable, "-c", WARM, str(home), str(runs), f"{QUERY} {NONCE}"], check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("WARM"))
    _, median, source, *parts = line.split()
    return float(median) / 1000, f"{source}; " + " ".join(parts)


PEER_PATTERNS = {
    "first": r"first index \+ 1 text search.*?([\d.]+) s.*?(\d+) MiB",
    "rerun": r"re-run, nothing changed.*?([\d.]+) s median",
    "text_cold": r"text search, cold process.*?([\d.]+) s median",
    "image_cold": r"image search, cold process.*?([\d.]+) s median",
    "warm": r"text search, warm.*?([\d.]+) ms median",
}


def read_peer(path: Path | None) -> dict[str, float]:
    if path is None:
        return {}
    text = path.read_text()
    peer: dict[str, float] = {}
    for key, pattern in PEER_PATTERNS.items():
        match = re.search(pattern, text)
        if match:
            peer[key] = float(match.group(1))
            if key == "first":
                peer["rss"] = float(match.group(2))
    if "warm" in peer:
        peer["warm"] /= 1000
    return peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--peer-log", type=Path, help="the printout of shared/tools/rclip_peer.sh on the same folder")
    parser.add_argument("--runs", type=int, default=3, help="cold-process repeats (median)")
    parser.add_argument("--warm-runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the data home (its path is printed)")
    parser.add_argument("--code", type=Path, help="measure the package in this folder instead of this checkout")
    parser.add_argument("--home", type=Path, help="a copy of a data home already indexed on FOLDER: skip the first index")
    parser.add_argument(
        "--unprepared", action="store_true",
        help="skip `models prepare` (weights import runs it): the first index exports the CLIP towers itself",
    )
    args = parser.parse_args()
    CODE[0] = (args.code or REPO).resolve()
    folder = args.folder.resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-vs-peer-"))
    home = args.home or work / "home"
    try:
        if args.home:
            _run(_command(home, "index"), check=True, capture_output=True)  # this version's stages
            first = {"clip_done": float("nan"), "total": float("nan"), "peaks": {}, "peak": float("nan")}
        else:
            _run(_command(home, "add", str(folder)), check=True, capture_output=True)
            # Installing weights prepares the search model (as rclip's model files are ready
            # before its first index); measured on its own and added in the notes.
            prepared = None if args.unprepared else first_index(home, "models", "prepare")
            first = first_index(home)
            first["prepare"] = prepared
        ours = {
            "first": first["clip_done"],
            "rerun": whole_process(home, ["index"], args.runs),
            "rss": first["peak"],
            "image_cold": whole_process(home, lambda run: ["search", "--image", str(new_image(folder, work, run))], args.runs),
            "image_library": whole_process(home, lambda run: ["search", "--image", str(library_photo(folder, run))], args.runs),
            "text_cold": whole_process(home, lambda run: ["search", f"{QUERY} {NONCE}{run}"], args.runs),
        }
        ours["warm"], warm_detail = warm_text_search(home, args.warm_runs)
        _print_table(ours, read_peer(args.peer_log), first, warm_detail, len(list(folder.rglob("*.jpg"))))
    finally:
        if args.keep:
            print(f"data home kept: {home}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def library_photo(folder: Path, run: int) -> Path:
    """A photo of the library, a different one each run (the query cache must not answer)."""
    return sorted(folder.rglob("*.jpg"))[-1 - run]


ROWS = [
    ("first", "time until search works (CLIP pass done) vs rclip's whole first index", "s"),
    ("rerun", "unchanged re-run of `index`, whole process", "s"),
    ("rss", "peak RSS while indexing", "MiB"),
    ("image_cold", "cold `search --image FILE` (a new file), whole process", "s"),
    ("image_library", "cold `search --image FILE` (a library photo), whole process", "s"),
    ("warm", "warm text search in a running process", "s"),
    ("text_cold", "cold `search TEXT` (new text), whole process", "s"),
]


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value * 1000:.0f} ms" if value < 0.1 else f"{value:.2f} s"


def _print_table(ours: dict, peer: dict, first: dict, warm_detail: str, photos: int) -> None:
    print(f"{photos} photos; load average {os.getloadavg()[0]:.2f} at the end; {os.cpu_count()} CPUs")
    print("| figure | rclip | Photo Organizer | ratio |")
    print("|---|---|---|---|")
    for key, label, unit in ROWS:
        theirs = peer.get(key if key != "image_library" else "image_cold")
        ratio = f"{ours[key] / theirs:.2f}" if theirs else "-"
        print(f"| {label} | {_format(theirs, unit)} | {_format(ours[key], unit)} | {ratio} |")
    print(f"\nfirst index whole: {first['total']:.1f} s; CLIP pass done after {first['clip_done']:.1f} s")
    prepared = first.get("prepare")
    if prepared:
        print(
            f"one-time `models prepare` before it (import and download run it): {prepared['total']:.1f} s, "
            f"peak RSS {prepared['peak']:.0f} MiB; search works {prepared['total'] + first['clip_done']:.1f} s "
            f"after both started ({(prepared['total'] + first['clip_done']) / peer['first']:.2f} of rclip's first index)"
            if peer.get("first") else f"one-time `models prepare`: {prepared['total']:.1f} s"
        )
    elif prepared is None and "prepare" in first:
        print("first index on unprepared models: it exported the CLIP towers itself")
    print("peak RSS per stage: " + ", ".join(f"{stage} {mib:.0f} MiB" for stage, mib in first["peaks"].items()))
    print(f"warm text search: {warm_detail}")


if __name__ == "__main__":
    main()
