"""Reading what other tools wrote: XMP and IPTC in the photos, and XMP sidecars, at index time.

Pipeline stage: after the thumbnails pass (it reads photos marked ``ok``) and independent of
the models; ``pending_count`` is one SQL query (no file is opened, nothing heavy imported).
A photo is pending when it was never read, its file changed (mtime), or the sidecar that
applies to it changed, appeared or went (the scanner records sidecars' size and mtime).

Which sidecar: ``IMG_1.JPG.xmp`` (digiKam, darktable), else ``IMG_1.xmp`` (Lightroom; it
applies to every photo named ``IMG_1.*`` in that folder, a RAW and its JPEG alike).

Which value wins, field by field (rating, label, caption, keywords):
* a sidecar's values win over the photo's embedded ones (tools edit sidecars, not photos);
* between the library and a file, the newer wins: a file's values are read in when its mtime
  is later than the library's last change to that photo (``curation.changed_at``), so an edit
  made here after the other tool's survives, and one made there later is taken;
* a field the file does not have leaves the library's value alone (a tool that writes no
  caption must not erase ours), so emptying a field in another tool is not seen.
A corrupt sidecar, or one over 10 MB, is reported (in the report, and ``Library.xmp_read_errors``)
and skipped; it is read again when it changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from photo_organizer.curation.model import CAPTION, KEYWORDS, LABEL, RATING, Curation, XmpFields
from photo_organizer.curation.xmp import XmpError, read_embedded, read_sidecar
from photo_organizer.progress import Job, Progress, RateMeter
from photo_organizer.storage import Library, iter_chunks, path_from_db

BATCH_SIZE = 100


@dataclass
class ReadReport:
    read: int = 0
    imported: int = 0  # photos whose library values changed
    errors: list[tuple[str, str]] = field(default_factory=list)  # (sidecar path, reason)

    def summary(self) -> str:
        return f"read {self.read} photos, {self.imported} updated from XMP, {len(self.errors)} sidecars unreadable"


@dataclass(frozen=True)
class _Read:
    row: dict[str, Any]
    embedded: XmpFields
    sidecar: XmpFields
    error: str | None


def pending_count(library: Library) -> int:
    """Photos whose embedded metadata or sidecar must be read: one query, no file opened
    (measured: 0.35-0.6 s for 200,000 photos and 100,000 sidecars)."""
    return library.pending_xmp_read_count()


def read_metadata_job(library: Library) -> Job[ReadReport]:
    """Read embedded XMP/IPTC and sidecars of the pending photos, in committed batches."""
    report = ReadReport()
    rows = library.pending_xmp_reads()
    meter = RateMeter(len(rows))
    yield Progress("xmp", 0, len(rows))
    for batch in iter_chunks(rows, BATCH_SIZE):
        reads = [_read(row) for row in batch]  # file reads outside the transaction
        _commit(library, reads, report)
        yield Progress("xmp", report.read, len(rows), f"{report.imported} updated", meter.rate(report.read))
    return report


def _read(row: dict[str, Any]) -> _Read:
    try:
        embedded = read_embedded(path_from_db(row["path"]))
    except Exception:  # one odd photo must never abort the run; its pixels were read already
        embedded = XmpFields()
    if row["sidecar_path"] is None:
        return _Read(row, embedded, XmpFields(), None)
    try:
        return _Read(row, embedded, read_sidecar(path_from_db(row["sidecar_path"])), None)
    except (XmpError, OSError) as error:
        return _Read(row, embedded, XmpFields(), str(error))


def _commit(library: Library, reads: list[_Read], report: ReadReport) -> None:
    ids = [read.row["id"] for read in reads]
    changed = library.curation_changed_at(ids)
    current = library.curations(ids)
    now = time.time()
    with library.transaction():
        for read in reads:
            report.read += 1
            if read.error is not None:
                report.errors.append((path_from_db(read.row["sidecar_path"]), read.error))
            fields = _winning_fields(read, changed.get(read.row["id"]))
            updates = _differences(fields, current[read.row["id"]])
            if updates:
                report.imported += 1
                library.import_curation_fields(read.row["id"], updates)
        library.record_xmp_reads([_record(read, now) for read in reads])


def _winning_fields(read: _Read, changed_at: float | None) -> XmpFields:
    """The file values newer than the library's last change (see the module docstring)."""
    fields = XmpFields()
    if changed_at is None or (read.row["mtime"] or 0) > changed_at:
        fields = read.embedded
    if read.error is None and read.row["sidecar_path"] is not None:
        if changed_at is None or (read.row["sidecar_mtime"] or 0) > changed_at:
            fields = read.sidecar.over(fields)
    return fields


def _differences(fields: XmpFields, current: Curation) -> dict[str, Any]:
    wanted = {RATING: fields.rating, LABEL: fields.label, CAPTION: fields.caption, KEYWORDS: fields.keywords}
    return {
        name: value
        for name, value in wanted.items()
        if value is not None and _comparable(value) != _comparable(getattr(current, name))
    }


def _comparable(value: Any) -> Any:
    return tuple(sorted(k.lower() for k in value)) if isinstance(value, tuple) else value


def _record(read: _Read, now: float) -> dict[str, Any]:
    row = read.row
    return {
        "photo_id": row["id"],
        "photo_mtime": row["mtime"],
        "sidecar_path": row["sidecar_path"],
        "sidecar_size": row["sidecar_size"],
        "sidecar_mtime": row["sidecar_mtime"],
        "read_at": now,
        "error": read.error,
    }

