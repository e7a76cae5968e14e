"""Benchmark: reading and writing XMP (curation) on generated photos, and the pending check.

    python benchmarks/bench_xmp.py                 # 1,000 photos with sidecars; 200,000-row check
    python benchmarks/bench_xmp.py --photos 5000 --rows 500000

Printed: the index-time read stage (embedded XMP of each photo plus its digiKam sidecar) in
photos per second; an edit on 200 photos with sidecar writes (ms per photo), and with writing
off; and ``sync.pending_count`` on a synthetic library of ``--rows`` photos and half as many
sidecars (both conventions), before and after everything was read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photo_organizer.curation import edits, sync  # noqa: E402
from photo_organizer.progress import drain  # noqa: E402
from photo_organizer.sample_photos import render, save_jpeg  # noqa: E402
from photo_organizer.scanner import scan_roots  # noqa: E402
from photo_organizer.storage import OK, Library  # noqa: E402
from tests.test_xmp import DIGIKAM_SIDECAR  # noqa: E402


def timed(label: str, action):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed * 1000:.0f} ms")
    return result, elapsed


def bench_files(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        photo = save_jpeg(render("beach", (1600, 1200), 0), root / "template.jpg").read_bytes()
        (root / "template.jpg").unlink()
        for n in range(count):
            (root / f"IMG_{n:05d}.JPG").write_bytes(photo)
            (root / f"IMG_{n:05d}.JPG.xmp").write_text(DIGIKAM_SIDECAR, encoding="utf-8")
        library = Library.in_memory()
        library.add_root(root)
        drain(scan_roots(library))
        with library.transaction():  # as after the thumbnails pass
            library.db.execute("UPDATE photos SET state = ?, width = 1", [OK])
        timed(f"pending_count, {count} pending", lambda: sync.pending_count(library))
        report, elapsed = timed("read stage", lambda: drain(sync.read_metadata_job(library)))
        print(f"  {report.read / elapsed:.0f} photos/s, {report.imported} updated, {len(report.errors)} errors")
        ids = library.photo_ids()[:200]
        _, elapsed = timed("rate 200 photos, writing sidecars", lambda: edits.rate(library, ids, 5))
        print(f"  {elapsed / len(ids) * 1000:.1f} ms per photo")
        edits.SidecarSettings(write=False).save(library)
        timed(f"rate {count} photos, writing off", lambda: edits.rate(library, library.photo_ids(), 2))


def bench_pending_check(rows: int) -> None:
    library = Library.in_memory()
    with library.transaction():
        library.db.execute("INSERT INTO roots (id, path) VALUES (1, '/p')")
        library.db.conn.executemany(
            "INSERT INTO photos (root_id, path, mtime, state) VALUES (1, ?, 1.0, ?)",
            [(f"/p/f{n // 500}/IMG_{n:06d}.JPG", OK) for n in range(rows)],
        )
        sidecars = [
            (f"/p/f{n // 500}/IMG_{n:06d}" + (".JPG.xmp" if n % 4 else ".xmp"), 100, 2.0) for n in range(0, rows, 2)
        ]
        library.replace_root_sidecars(1, sidecars)
    timed(f"pending_count, {rows} photos never read", lambda: sync.pending_count(library))
    pending = library.pending_xmp_reads()
    with library.transaction():
        library.record_xmp_reads([
            {"photo_id": r["id"], "photo_mtime": r["mtime"], "sidecar_path": r["sidecar_path"],
             "sidecar_size": r["sidecar_size"], "sidecar_mtime": r["sidecar_mtime"], "read_at": 0.0, "error": None}
            for r in pending
        ])
    timed(f"pending_count, {rows} photos and {len(sidecars)} sidecars all read", lambda: sync.pending_count(library))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    bench_files(args.photos)
    bench_pending_check(args.rows)


if __name__ == "__main__":
    main()
