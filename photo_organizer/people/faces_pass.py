"""The faces pass of indexing: find and describe the faces of every live photo not yet scanned.

Pipeline stage: after the CLIP pass (search comes first), before grouping faces into people
(``grouping.update_people_job``). Photos are decoded, scaled and searched for faces in a thread
pool a few batches ahead (the embedding pass's prefetching): dlib releases the GIL, so the
threads use every core, each with its own models (a dlib detector must not serve two threads
at once). The job's thread commits each batch in its own transaction with a ``face_scans`` row
per photo (0 faces and unreadable photos too), so the job can be closed at any yield and the
next run goes on where it stopped.
A photo whose file changed (new fingerprint) is scanned again.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from PIL import Image

from photo_organizer.embedding import default_workers, pass_progress, prepared_photos
from photo_organizer.people import store
from photo_organizer.people.detection import DECODE_MIN_SIDE, DETECTORS, HOG, FaceAnalyzer, scaled_for_detection
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.storage import Library

STAGE = "faces"
DETECTOR_SETTING = "people.detector"
DEFAULT_BATCH_SIZE = 16


@dataclass
class FacesReport:
    total: int = 0
    scanned: int = 0
    faces: int = 0
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # (photo id, path, reason)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.scanned / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        unreadable = f", {len(self.failed)} unreadable" if self.failed else ""
        return f"{self.faces} faces in {self.scanned} photos ({self.rate:.1f} photos/s){unreadable}"


class _AnalyzerPool:
    """Stands in for an encoder in the embedding pass's prefetching: its ``preprocess`` finds the
    faces of a decoded photo with an analyzer no other thread is using."""

    def __init__(self, first: FaceAnalyzer) -> None:
        self._idle: queue.SimpleQueue[FaceAnalyzer] = queue.SimpleQueue()
        self._idle.put(first)
        self._detector = first.detector_name

    def preprocess(self, image: Image.Image) -> list[store.FoundFace]:
        try:
            analyzer = self._idle.get_nowait()
        except queue.Empty:
            analyzer = FaceAnalyzer(self._detector)
        try:
            return analyzer.find_faces(scaled_for_detection(image))
        finally:
            self._idle.put(analyzer)


def get_detector(library: Library) -> str:
    return str(library.get_setting(DETECTOR_SETTING, HOG))


def set_detector(library: Library, detector: str) -> None:
    """Applies to the photos scanned from now on (existing faces are kept)."""
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {DETECTORS}")
    library.set_setting(DETECTOR_SETTING, detector)


def pending_count(library: Library) -> int:
    """Live photos the faces pass has still to read (one SQL count; loads no model)."""
    return store.pending_photo_count(library)


def faces_job(
    library: Library,
    *,
    detector: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
) -> Job[FacesReport]:
    """Scan the pending photos for faces; dlib and its models load only when there is work."""
    photo_ids = store.pending_photo_ids(library)
    report = FacesReport(total=len(photo_ids))
    if not photo_ids:
        return report
    detector = detector or get_detector(library)
    yield Progress(STAGE, 0, len(photo_ids), "loading face models")
    analyzers = _AnalyzerPool(FaceAnalyzer(detector))  # loaded here: a missing model fails the job at once
    meter = RateMeter(len(photo_ids))
    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=workers or default_workers(), thread_name_prefix="faces-decode")
    scans: list[store.PhotoScan] = []
    try:
        photos = prepared_photos(library, photo_ids, [analyzers], DECODE_MIN_SIDE, pool, batch_size)
        for photo_id, path, found in photos:
            if isinstance(found, str):
                report.failed.append((photo_id, path, found))
                scans.append(store.PhotoScan(photo_id, [], found))
            else:
                scans.append(store.PhotoScan(photo_id, found[0]))
            if len(scans) == batch_size:
                _commit(library, scans, detector, report)
                scans = []
                yield pass_progress(STAGE, report.scanned, meter, len(report.failed))
        if scans:
            _commit(library, scans, detector, report)
        yield pass_progress(STAGE, report.scanned, meter, len(report.failed))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        report.seconds = time.perf_counter() - started
    return report


def _commit(library: Library, scans: list[store.PhotoScan], detector: str, report: FacesReport) -> None:
    store.save_scans(library, scans, detector)
    report.scanned += len(scans)
    report.faces += sum(len(scan.faces) for scan in scans)
