"""End to end on a folder of generated photos: index reads other tools' sidecars, the curation
commands write ours (checked with the `exiv2` command line tool), photos are never modified."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from photo_organizer.cli.main import main
from photo_organizer.sample_photos import render, save_jpeg
from tests.test_search_cli import searchable  # noqa: F401 - fixture
from tests.test_xmp import DIGIKAM_SIDECAR, LIGHTROOM_SIDECAR

SHOW_FIELDS = {
    "id", "path", "state", "error", "size", "mtime", "taken_at", "width", "height", "camera", "gps",
    "rating", "rejected", "label", "caption", "favourite", "keywords", "albums", "sidecar",
}


def run(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def run_json(capsys, *argv: str):
    return json.loads(run(capsys, *argv, "--json"))


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.suffix != ".xmp"}


@pytest.fixture
def photos(tmp_path) -> Path:
    """Five photos: one with a digiKam sidecar, a JPEG+PNG pair with a Lightroom sidecar
    (IMG_2.xmp applies to both), one with a corrupt sidecar, one with a huge one."""
    folder = tmp_path / "photos"
    for n, name in enumerate(("IMG_1.JPG", "IMG_2.JPG", "IMG_3.JPG", "IMG_4.JPG")):
        save_jpeg(render("beach", (64, 48), n), folder / name)
    render("beach", (64, 48), 9).save(folder / "IMG_2.png")
    (folder / "IMG_1.JPG.xmp").write_text(DIGIKAM_SIDECAR, encoding="utf-8")
    (folder / "IMG_2.xmp").write_text(LIGHTROOM_SIDECAR, encoding="utf-8")
    (folder / "IMG_3.JPG.xmp").write_text(DIGIKAM_SIDECAR[:600], encoding="utf-8")
    with open(folder / "IMG_4.JPG.xmp", "wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    return folder


def ids_by_name(capsys, count: int) -> dict[str, int]:
    return {Path(run_json(capsys, "show", str(i))["path"]).name: i for i in range(1, count + 1)}


def test_index_reads_sidecars_and_skips_bad_ones(photos, home, capsys):
    before = digest(photos)
    capsys.readouterr()
    assert main(["index", "--no-embeddings", "--quiet", str(photos)]) == 0
    captured = capsys.readouterr()
    assert "2 sidecars unreadable" in captured.out
    assert "IMG_3.JPG.xmp" in captured.err and "IMG_4.JPG.xmp" in captured.err and "larger than" in captured.err
    status = run_json(capsys, "status")
    assert status["photos"]["ok"] == 5 and status["photos"]["error"] == 0  # sidecars are not photos
    ids = ids_by_name(capsys, 5)
    first = run_json(capsys, "show", str(ids["IMG_1.JPG"]))
    assert set(first) == SHOW_FIELDS
    assert (first["rating"], first["label"], first["caption"]) == (4, "Green", "Cat on the quay")
    assert first["keywords"] == ["Animals/Cat", "Trips/2019/Lyon"]
    assert first["sidecar"] == {"path": str(photos / "IMG_1.JPG.xmp"), "error": None}
    for name in ("IMG_2.JPG", "IMG_2.png"):
        second = run_json(capsys, "show", str(ids[name]))
        assert second["rejected"] is True and second["keywords"] == ["night", "Trips/2019/Lyon"]
    third = run_json(capsys, "show", str(ids["IMG_3.JPG"]))
    assert third["rating"] is None and "IMG_3.JPG.xmp" in third["sidecar"]["error"]
    tree = run_json(capsys, "keywords")
    assert [(n["path"], n["count"]) for n in tree] == [("Animals", 1), ("night", 2), ("Trips", 3)]
    assert tree[2]["children"][0]["children"][0] == {"name": "Lyon", "path": "Trips/2019/Lyon", "count": 3, "children": []}
    assert digest(photos) == before
    assert "metadata:" not in run(capsys, "index", "--no-embeddings", "--quiet")  # nothing pending: skipped
    assert "2 sidecars are unreadable" in run(capsys, "xmp", "read", "--quiet")


def test_newer_wins_between_library_and_sidecar(photos, home, capsys):
    run(capsys, "index", "--no-embeddings", "--quiet", str(photos))
    ids = ids_by_name(capsys, 5)
    photo = ids["IMG_1.JPG"]
    run(capsys, "xmp", "settings", "--write", "off")
    run(capsys, "rate", str(photo), "1")  # a library edit newer than the sidecar
    sidecar = photos / "IMG_1.JPG.xmp"

    def other_tool_writes(rating: str, mtime: float) -> None:
        sidecar.write_text(DIGIKAM_SIDECAR.replace('xmp:Rating="4"', f'xmp:Rating="{rating}"'), encoding="utf-8")
        os.utime(sidecar, (mtime, mtime))

    other_tool_writes("2", time.time() - 3600)  # changed on disk, but older than our edit
    run(capsys, "index", "--no-embeddings", "--quiet")
    assert run_json(capsys, "show", str(photo))["rating"] == 1
    other_tool_writes("3", time.time() + 5)  # edited there after our edit
    run(capsys, "index", "--no-embeddings", "--quiet")
    assert run_json(capsys, "show", str(photo))["rating"] == 3


@pytest.mark.skipif(shutil.which("exiv2") is None, reason="the exiv2 command line tool is not installed")
def test_our_sidecars_read_back_by_exiv2_and_photos_untouched(photos, home, capsys):
    run(capsys, "index", "--no-embeddings", "--quiet", str(photos))
    before = digest(photos)
    ids = ids_by_name(capsys, 5)
    new, digikam = str(ids["IMG_4.JPG"]), str(ids["IMG_1.JPG"])
    (photos / "IMG_4.JPG.xmp").unlink()  # the huge one: IMG_4 gets a new sidecar
    run(capsys, "rate", new, digikam, "5")
    run(capsys, "label", new, "purple")
    run(capsys, "caption", new, "Quai Saint-Antoine, été")
    run(capsys, "keywords", "add", new, digikam, "Trips/2019/Lyon")
    run(capsys, "keywords", "remove", digikam, "Animals/Cat")
    run(capsys, "favourite", new)

    def exiv2_values(sidecar: Path) -> dict[str, str]:
        out = subprocess.run(["exiv2", "-px", str(sidecar)], capture_output=True, text=True, check=True).stdout
        return {line.split()[0]: line.split(None, 3)[3] if len(line.split()) > 3 else "" for line in out.splitlines()}

    values = exiv2_values(photos / "IMG_4.JPG.xmp")
    assert values["Xmp.xmp.Rating"] == "5" and values["Xmp.xmp.Label"] == "Purple"
    assert values["Xmp.dc.description"] == 'lang="x-default" Quai Saint-Antoine, été'
    assert values["Xmp.digiKam.TagsList"] == "Trips/2019/Lyon"
    assert values["Xmp.lr.hierarchicalSubject"] == "Trips|2019|Lyon" and values["Xmp.dc.subject"] == "Lyon"
    values = exiv2_values(photos / "IMG_1.JPG.xmp")
    assert values["Xmp.xmp.Rating"] == "5" and values["Xmp.digiKam.TagsList"] == "Trips/2019/Lyon"
    assert values["Xmp.dc.subject"] == "Lyon" and values["Xmp.dc.description"] == 'lang="x-default" Cat on the quay'
    assert values["Xmp.MicrosoftPhoto.Rating"] == "75"  # digiKam's other fields are kept
    assert digest(photos) == before
    shown = run_json(capsys, "show", new)
    assert shown["favourite"] is True and shown["keywords"] == ["Trips/2019/Lyon"]
    run(capsys, "index", "--no-embeddings", "--quiet")  # our own writes are not read back as news
    assert run_json(capsys, "show", digikam)["keywords"] == ["Trips/2019/Lyon"]


def test_settings_turn_writing_off_and_choose_the_naming(photos, home, capsys):
    run(capsys, "index", "--no-embeddings", "--quiet", str(photos))
    ids = ids_by_name(capsys, 5)
    (photos / "IMG_4.JPG.xmp").unlink()
    assert run_json(capsys, "xmp", "settings") == {"write": True, "naming": "full"}
    run(capsys, "xmp", "settings", "--write", "off")
    run(capsys, "rate", str(ids["IMG_4.JPG"]), "2")
    assert not list(photos.glob("IMG_4*.xmp"))
    run(capsys, "xmp", "settings", "--write", "on", "--naming", "stem")
    run(capsys, "rate", str(ids["IMG_4.JPG"]), "3")
    assert [p.name for p in photos.glob("IMG_4*.xmp")] == ["IMG_4.xmp"]
    capsys.readouterr()
    assert main(["rate", str(ids["IMG_3.JPG"]), "3"]) == 0  # its sidecar is corrupt: not rewritten
    assert "could not write sidecar" in capsys.readouterr().err
    assert run_json(capsys, "show", str(ids["IMG_3.JPG"]))["rating"] == 3


def test_named_albums_written_as_keywords(photos, home, ctx, capsys):
    from photo_organizer.albums.edits import rename_album
    from photo_organizer.albums.store import AlbumContent, write_album

    run(capsys, "index", "--no-embeddings", "--quiet", str(photos))
    ids = ids_by_name(capsys, 5)
    members = [ids["IMG_1.JPG"], ids["IMG_4.JPG"]]
    (photos / "IMG_4.JPG.xmp").unlink()
    album = write_album(ctx.library, None, AlbumContent(members, [1.0, 1.0], ["cluster"] * 2, None, members, None))
    rename_album(ctx.library, album, "Summer/Lyon")
    write_album(ctx.library, None, AlbumContent(members[:1], [1.0], ["cluster"], None, members[:1], None))  # unnamed
    ctx.close()
    run(capsys, "xmp", "write-albums", "--quiet")
    for photo in members:
        assert "Albums/Summer-Lyon" in run_json(capsys, "show", str(photo))["keywords"]
    assert [n["path"] for n in run_json(capsys, "keywords") if n["name"] == "Albums"] == ["Albums"]


def test_search_filters_combine_with_text(searchable, ctx, capsys):  # noqa: F811
    ids, _ = searchable
    ctx.library.set_setting("xmp.write", False)  # these photos have no files
    ctx.close()
    run(capsys, "rate", *map(str, ids[:3]), "4")
    run(capsys, "keywords", "add", *map(str, ids[2:5]), "Cars/Red")
    run(capsys, "favourite", str(ids[2]), str(ids[30]))
    run(capsys, "label", str(ids[30]), "red")

    def found(*filters: str) -> list[int]:
        data = run_json(capsys, "search", "red car", "--no-cutoff", *filters)
        return sorted(r["photo_id"] for r in data["results"])

    assert found("--min-rating", "4") == ids[:3]
    assert found("--keyword", "Red") == ids[2:5]
    assert found("--min-rating", "3", "--keyword", "cars") == [ids[2]]
    assert found("--favourites") == [ids[2], ids[30]]
    assert found("--favourites", "--label", "Red") == [ids[30]]
    data = run_json(capsys, "search", "red car", "--keyword", "Cars")
    assert data["view"]["filters"]["keyword"] == "Cars" and np.isin([r["photo_id"] for r in data["results"]], ids[2:5]).all()
