"""Files that could not be read: listed with their reason, tried again by hand ("Try again") or
by the next index once their permissions, owner or content changed."""

from __future__ import annotations

import os
from pathlib import Path

from photo_organizer import indexer
from photo_organizer.pipeline import PipelineOptions, update_library
from photo_organizer.progress import drain
from photo_organizer.sample_photos import make_labelled_folder
from photo_organizer.storage import ERROR, OK

SCAN_ONLY = PipelineOptions(embeddings=False)


def first_photo(folder: Path) -> Path:
    return sorted(path for path in folder.rglob("*") if path.is_file())[0]


def refuse_once(monkeypatch, name: str) -> list[str]:
    """The decoder raises PermissionError for ``name`` the first time (as root, chmod 000 does
    not stop a read, so the refusal is simulated)."""
    real = indexer.inspect_photo
    refused: list[str] = []

    def inspect(path, *args, **kwargs):
        if os.path.basename(path) == name and not refused:
            refused.append(str(path))
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(indexer, "inspect_photo", inspect)
    return refused


def test_a_file_refused_once_is_read_again_after_its_permissions_change(ctx, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    make_labelled_folder(folder, per_class=1, size=(96, 72))
    first = first_photo(folder)
    name = first.name
    refused = refuse_once(monkeypatch, name)
    ctx.library.add_root(folder)

    report = drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert refused and report.index.failed == 1
    assert [(os.path.basename(r["path"]), r["error"]) for r in ctx.library.failed_photos()] == [(name, "no permission to read this file")]

    drain(update_library(ctx.library, ctx.models, SCAN_ONLY))  # nothing changed: not tried again
    assert len(ctx.library.failed_photos()) == 1

    os.chmod(first, 0o600)  # the user fixed the permissions: only the change time moves
    report = drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert report.index.processed == 1 and ctx.library.failed_photos() == []
    assert ctx.library.count_by_state() == {OK: 6}


def test_try_again_sends_the_failed_files_back_to_reading(ctx, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    make_labelled_folder(folder, per_class=1, size=(96, 72))
    refuse_once(monkeypatch, first_photo(folder).name)
    ctx.library.add_root(folder)
    drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    failed = [row["id"] for row in ctx.library.failed_photos()]

    assert ctx.library.retry_failed_photos(failed) == 1
    report = drain(update_library(ctx.library, ctx.models, SCAN_ONLY))
    assert report.index.processed == 1 and ERROR not in ctx.library.count_by_state()
