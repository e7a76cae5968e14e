"""The Duplicates view shows each group as a group (issue 12, 9): a header per group
("2 copies · 9.0 MB"), the reference photo first and marked, and every photo counted once
even when it is both an exact copy and a near-identical shot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photo_organizer.app.types import DUPLICATES
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import DINO
from photo_organizer.ui.app import launch
from photo_organizer.ui.duplicates_view import REFERENCE_TEXT
from tests.conftest import RANDOM_WEIGHTS
from tests.ui_support import insert_photos

SHOTS = Path("/tmp/shots/flows-c")


def test_duplicates_are_shown_group_by_group_with_the_reference_marked(qtbot, ctx):
    ctx.models = ModelProvider(ctx.home, RANDOM_WEIGHTS)
    ids = insert_photos(ctx.library, 12)
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(12, 48)).astype(np.float32)
    vectors[1] = vectors[0] + 0.001  # a burst: photos 0 and 1 are near-identical shots
    with ctx.library.transaction():
        # photo 2 is a byte-for-byte copy of photo 1: it belongs to the same group, listed once
        ctx.library.db.execute("UPDATE photos SET fingerprint = 'fp1' WHERE id = ?", [ids[2]])
        ctx.library.db.execute("UPDATE photos SET mtime = mtime - 1000 WHERE id = ?", [ids[1]])  # the original: oldest file
        ctx.library.db.execute("UPDATE photos SET fingerprint = 'fp3', size = 5000000, width = 800, height = 600 WHERE id = ?", [ids[3]])
        ctx.library.db.execute("UPDATE photos SET size = 4000000, width = 4000, height = 3000 WHERE id = ?", [ids[4]])
        ctx.library.db.execute("UPDATE photos SET fingerprint = 'fp3' WHERE id = ?", [ids[4]])
    ctx.library.put_embeddings(ctx.models.active_key(ctx.library, DINO), ids, vectors)

    window = launch(ctx, scan_on_start=False)
    qtbot.addWidget(window)
    window.sidebar.select_source(DUPLICATES)
    qtbot.waitUntil(lambda: len(window.duplicates_view.headers) == 2, timeout=10000)
    assert window.grid_stack.currentWidget() is window.duplicates_view
    assert [h.text() for h in window.duplicates_view.headers] == ["2 copies · 9.0 MB", "3 near-identical shots · 3 KB"]
    assert window.subtitle.text().startswith("5 photos in 2 groups")  # each photo once
    assert sorted(window.model.photo_ids()) == sorted([ids[0], ids[1], ids[2], ids[3], ids[4]])

    reference = window.duplicates_view.tile(ids[4])  # more pixels than photo 3, though smaller
    assert reference.text().startswith(REFERENCE_TEXT)
    assert not window.duplicates_view.tile(ids[3]).text().startswith(REFERENCE_TEXT)
    assert window.duplicates_view.tile(ids[1]).text().startswith(REFERENCE_TEXT)  # same size: the oldest file
    assert not window.duplicates_view.tile(ids[0]).text().startswith(REFERENCE_TEXT)
    opened: list[int] = []
    window.open_viewer = lambda row: opened.append(window.model.photo_id(row))  # a click opens the viewer
    reference.click()
    assert opened == [ids[4]]
    window.resize(1200, 700)
    if SHOTS.is_dir():
        window.grab().save(str(SHOTS / "duplicates_grouped.png"))
