"""Command: ``people ...`` (faces grouped into people).

    photo-organizer people [--json]                 people, most faces first, and the unsorted count
    photo-organizer people show ID [--json]         a person's faces: face id, photo id, path, box
    photo-organizer people name ID NAME             your name for a person ("" removes it)
    photo-organizer people merge ID ID...           the others are merged into the first
    photo-organizer people reject PERSON FACE...    "not this person": never placed there again
    photo-organizer people confirm PERSON FACE...   "this is that person": kept there for good
    photo-organizer people scan                     the faces pass and grouping (as `index` runs them)
    photo-organizer people recluster [--json]       group every face again, keeping names and edits
    photo-organizer people detector [hog|cnn]       show or set the face detector for new scans
    photo-organizer people crop FACE FILE.jpg       save a face's crop

Search by person: ``photo-organizer search TEXT --person ID``.

JSON output (stable, for scripts):

* ``people --json``: ``{"people": [PERSON...], "unsorted_faces": int, "photos_pending": int,
  "scanned": {"scanned": int, "faces": int, "failed": int}}``; PERSON is ``{"id": int,
  "name": str|null, "faces": int, "photo_ids": [int...], "cover_face_id": int|null}`` (faces in
  live photos; the cover is the person's largest face, for a crop: ``people crop``).
* ``people show ID --json``: ``{"person": PERSON, "faces": [{"face_id": int, "photo_id": int,
  "path": str, "box": [left, top, right, bottom] (0..1 of the upright photo), "person_id": int,
  "source": "auto"|"confirmed"}...]}``.
* ``people recluster --json`` and ``people scan --json``: the grouping report ``{"people",
  "unsorted", "new_faces", "joined", "new_people", "matched_people", "dropped_people",
  "seconds"}``; ``scan`` adds ``"faces_pass": {"scanned", "faces", "failed", "seconds"}``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from photo_organizer.cli.arguments import record_id
from photo_organizer.context import AppContext
from photo_organizer.people import store
from photo_organizer.people.detection import DETECTORS
from photo_organizer.people.faces_pass import FacesReport, get_detector, pending_count, set_detector
from photo_organizer.people.grouping import GroupingReport, recluster_people
from photo_organizer.progress import run_with_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    people = subparsers.add_parser("people", help="people found in the photos: list, show, name, merge, reject")
    people.add_argument("--json", action="store_true", help="machine-readable output")
    people.set_defaults(handler=list_command)
    commands = people.add_subparsers(dest="people_command", metavar="ACTION")

    show = commands.add_parser("show", help="a person's faces (face id, photo, box)")
    show.add_argument("person", type=record_id)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_command)

    name = commands.add_parser("name", help='name a person ("" removes the name)')
    name.add_argument("person", type=record_id)
    name.add_argument("name")
    name.set_defaults(handler=name_command)

    merge = commands.add_parser("merge", help="merge people into the first one")
    merge.add_argument("people", type=record_id, nargs="+", metavar="ID")
    merge.set_defaults(handler=merge_command)

    for action, helptext in (("reject", "not this person: the faces leave it for good"),
                             ("confirm", "this is that person: the faces stay with it for good")):
        parser = commands.add_parser(action, help=helptext)
        parser.add_argument("person", type=record_id)
        parser.add_argument("faces", type=record_id, nargs="+", metavar="FACE_ID")
        parser.set_defaults(handler=correct_command, action=action)

    scan = commands.add_parser("scan", help="find faces in photos not yet scanned, then group them")
    scan.add_argument("--quiet", action="store_true", help="no progress output")
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(handler=scan_command)

    recluster = commands.add_parser("recluster", help="group every face again (keeps names, merges, rejections)")
    recluster.add_argument("--json", action="store_true")
    recluster.set_defaults(handler=recluster_command)

    detector = commands.add_parser("detector", help="show or set the face detector (cnn: slower, finds more)")
    detector.add_argument("value", nargs="?", choices=DETECTORS)
    detector.set_defaults(handler=detector_command)

    crop = commands.add_parser("crop", help="save a face's crop as a JPEG")
    crop.add_argument("face", type=record_id)
    crop.add_argument("file", type=Path)
    crop.set_defaults(handler=crop_command)


def _print_json(data: Any) -> None:
    from photo_organizer.cli.main import print_json  # main imports this module

    print_json(data)


def list_command(args: argparse.Namespace, ctx: AppContext) -> int:
    people = store.list_people(ctx.library)
    unsorted = store.unsorted_face_count(ctx.library)
    pending = pending_count(ctx.library)
    if args.json:
        _print_json({
            "people": [person.as_json() for person in people],
            "unsorted_faces": unsorted,
            "photos_pending": pending,
            "scanned": store.scan_counts(ctx.library),
        })
        return 0
    if not people:
        print("No people yet." + (" Run `photo-organizer index` (or `people scan`) to find faces." if pending else ""))
    for person in people:
        print(f"{person.id:>5}  {person.display_name:<24} {person.face_count:>5} faces in {len(person.photo_ids)} photos")
    print(f"{unsorted} faces in no person" + (f"; {pending} photos not scanned yet" if pending else ""))
    return 0


def show_command(args: argparse.Namespace, ctx: AppContext) -> int:
    person = store.get_person(ctx.library, args.person)
    faces = store.faces_of_person(ctx.library, args.person)
    if args.json:
        _print_json({"person": person.as_json(), "faces": [face.as_json() for face in faces]})
        return 0
    print(f"{person.display_name} (id {person.id}): {person.face_count} faces in {len(person.photo_ids)} photos")
    for face in faces:
        box = " ".join(f"{value:.3f}" for value in face.box)
        mark = " confirmed" if face.source == store.SOURCE_CONFIRMED else ""
        print(f"  face {face.id:>6}  photo {face.photo_id:>6}  box {box}{mark}  {face.path}")
    return 0


def name_command(args: argparse.Namespace, ctx: AppContext) -> int:
    store.rename_person(ctx.library, args.person, args.name.strip() or None)
    print(f"person {args.person} is now {store.get_person(ctx.library, args.person).display_name}")
    return 0


def merge_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.errors import LibraryError

    target, *others = args.people
    if not others:
        raise LibraryError("Give at least two people: the first one receives the others' faces.")
    store.merge_people(ctx.library, target, others)
    person = store.get_person(ctx.library, target)
    print(f"merged {', '.join(map(str, others))} into {person.display_name} (id {target}): {person.face_count} faces")
    return 0


def correct_command(args: argparse.Namespace, ctx: AppContext) -> int:
    correct = store.reject_face if args.action == "reject" else store.confirm_face
    for face_id in args.faces:
        correct(ctx.library, args.person, face_id)
    verb = "removed from" if args.action == "reject" else "confirmed as"
    print(f"{len(args.faces)} face(s) {verb} person {args.person}")
    return 0


def scan_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.pipeline import FACES, PEOPLE, STAGES, update_library

    stages = [stage for stage in STAGES if stage.key in (FACES, PEOPLE)]
    report = run_with_bar(update_library(ctx.library, ctx.models, stages=stages), quiet=args.quiet)
    faces = report.results.get(FACES) or FacesReport()
    grouping = report.results.get(PEOPLE) or GroupingReport()
    if args.json:
        data = grouping.as_json()
        data["faces_pass"] = {"scanned": faces.scanned, "faces": faces.faces, "failed": len(faces.failed), "seconds": faces.seconds}
        _print_json(data)
        return 0
    print_people_reports(faces, grouping)
    return 0


def print_people_reports(faces: FacesReport | None, grouping: GroupingReport | None) -> None:
    """The two lines `index` and `people scan` print after the faces stages."""
    if faces is not None and faces.total:
        print(f"Faces: {faces.summary()}")
    if grouping is not None and grouping.new_faces:
        print(f"People: {grouping.summary()}")


def recluster_command(args: argparse.Namespace, ctx: AppContext) -> int:
    report = recluster_people(ctx.library)
    if args.json:
        _print_json(report.as_json())
    else:
        print(f"People: {report.people} people ({report.matched_people} kept their identity, {report.new_people} new, "
              f"{report.dropped_people} gone), {report.unsorted} unsorted faces")
    return 0


def detector_command(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.value:
        set_detector(ctx.library, args.value)
        print(f"face detector: {args.value} (applies to photos scanned from now on)")
    else:
        print(f"face detector: {get_detector(ctx.library)}")
    return 0


def crop_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from photo_organizer.people.crops import face_crop_jpeg

    args.file.write_bytes(face_crop_jpeg(ctx.library, args.face))
    print(f"saved {args.file}")
    return 0
