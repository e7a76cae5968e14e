"""Long jobs as plain generators that yield ``Progress``.

A job (indexing, clustering, calibration) is a generator function. It commits its work in
batches between yields, so the consumer may stop at any yield (``close()`` the generator) and
the database stays consistent; the next run resumes. Consumers:

* the command line drives it with ``run_with_bar`` (tqdm on a terminal, plain lines otherwise);
* the GUI runs the same generator in a worker thread and forwards each ``Progress`` as a signal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    stage: str  # short name of the pass, e.g. "scan", "thumbnails", "clip"
    done: int
    total: int | None  # None when unknown (e.g. while walking folders)
    message: str = ""
    rate: float | None = None  # items per second in this stage, when known
    label: str = ""  # the step in the user's words ("Reading photos"), set by the pipeline
    overall: float | None = None  # 0..1 across every step of the pipeline, when run by it

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


Job = Generator[Progress, None, T]


class RateMeter:
    """Items per second and ETA for one stage."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.started = time.perf_counter()

    def rate(self, done: int) -> float | None:
        elapsed = time.perf_counter() - self.started
        return done / elapsed if elapsed > 0 and done > 0 else None

    def eta_seconds(self, done: int) -> float | None:
        rate = self.rate(done)
        if rate is None or self.total is None:
            return None
        return max(0.0, (self.total - done) / rate)


def drain(job: Job[T]) -> T:
    """Run a job to the end, ignoring progress. Returns the job's return value."""
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def run_with_bar(job: Job[T], stream: TextIO | None = None, quiet: bool = False) -> T:
    """Drive a job with a tqdm bar per stage on a terminal, plain lines otherwise.

    Ctrl-C closes the generator (its ``finally`` blocks commit) and re-raises.
    """
    stream = stream or sys.stderr
    interactive = stream.isatty() and not quiet
    bars: dict[str, Any] = {}
    last_line = 0.0
    last_finished: tuple[str, int] | None = None  # a step's final count is printed once
    try:
        while True:
            try:
                progress = next(job)
            except StopIteration as stop:
                return stop.value
            if quiet:
                continue
            if interactive:
                _update_bar(bars, progress, stream)
            else:
                finished = (progress.label or progress.stage, progress.done) if progress.done == progress.total else None
                if finished != last_finished if finished else time.monotonic() - last_line > 2.0:
                    last_line, last_finished = time.monotonic(), finished or last_finished
                    stream.write(_plain_line(progress) + "\n")
                    stream.flush()
    except BaseException:
        job.close()
        raise
    finally:
        for bar in bars.values():
            bar.close()


def _update_bar(bars: dict[str, Any], progress: Progress, stream: TextIO) -> None:
    from tqdm import tqdm

    name = progress.label or progress.stage  # one bar per pipeline step, whatever its inner passes
    bar = bars.get(name)
    if bar is None:
        bar = bars[name] = tqdm(total=progress.total, desc=name, unit="photo", file=stream)
    if progress.total is not None and bar.total != progress.total:
        bar.total = progress.total
    bar.n = progress.done
    if progress.message:
        bar.set_postfix_str(progress.message, refresh=False)
    bar.refresh()


def _plain_line(progress: Progress) -> str:
    total = f"/{progress.total}" if progress.total is not None else ""
    rate = f" {progress.rate:.1f}/s" if progress.rate else ""
    message = f" {progress.message}" if progress.message else ""
    overall = f" ({progress.overall:.0%} of all)" if progress.overall is not None else ""
    return f"[{progress.label or progress.stage}] {progress.done}{total}{rate}{message}{overall}"
