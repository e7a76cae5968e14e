"""Reading XMP and IPTC with libexiv2, and writing XMP sidecars. A photo file is never written.

Library choice: python-exiv2 (PyPI ``exiv2``), the SWIG bindings to libexiv2 0.28 by Jim
Easterbrook, maintained alongside each libexiv2 release, with wheels that bundle libexiv2 for
Linux, macOS and Windows (no compiler, no system library). Tried against the alternatives:

* ``pyexiv2`` 2.16 (also bundles libexiv2, 1.6 MB wheel) rewrote an existing ``dc:subject``
  ``rdf:Bag`` as an ``rdf:Seq`` when given a list, changing the type other tools expect, and
  cannot create a sidecar through the library (only open an existing file);
* ``python-xmp-toolkit`` needs the Exempi system library, which a desktop installer would
  have to ship separately.

python-exiv2 keeps every array's type, creates sidecars with ``ImageFactory.create``, and
keeps the fields it was not asked to change (darktable's history, unknown namespaces). Its
cost is size (15.7 MB wheel, 48 MB installed). libexiv2 is GPL-2.0-or-later, as every
exiv2-based choice is.

Corrupt input: libexiv2 logs a parse failure and returns no data instead of raising, so the
messages it logs while reading one file are collected and turned into ``XmpError``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photo_organizer.curation.model import SIDECAR_SUFFIX, XmpFields, leaf, merge_keywords, rating_from_xmp
from photo_organizer.errors import PhotoOrganizerError

MAX_SIDECAR_BYTES = 10 * 1024 * 1024  # bigger than any real sidecar: refuse rather than parse
# Naming conventions (the library setting ``xmp.naming``).
NAMING_FULL = "full"  # IMG_1.JPG.xmp: digiKam and darktable (the default)
NAMING_STEM = "stem"  # IMG_1.xmp: Lightroom
NAMINGS = (NAMING_FULL, NAMING_STEM)

RATING_KEY = "Xmp.xmp.Rating"
LABEL_KEY = "Xmp.xmp.Label"
CAPTION_KEY = "Xmp.dc.description"
SUBJECT_KEY = "Xmp.dc.subject"
LIGHTROOM_KEY = "Xmp.lr.hierarchicalSubject"
DIGIKAM_KEY = "Xmp.digiKam.TagsList"
IPTC_KEYWORDS_KEY = "Iptc.Application2.Keywords"
_EXIV2_LOGGER = "exiv2"


class XmpError(PhotoOrganizerError):
    """A sidecar that cannot be read or written safely (corrupt, too big, unreadable)."""


@dataclass(frozen=True)
class SidecarUpdate:
    """Changes to write into a sidecar; None leaves a field as it is in the file."""

    rating: int | None = None
    set_rating: bool = False  # with rating None: remove the rating
    label: str | None = None
    set_label: bool = False
    caption: str | None = None
    set_caption: bool = False
    add_keywords: tuple[str, ...] = ()
    remove_keywords: tuple[str, ...] = ()


def sidecar_path(photo_path: str, naming: str = NAMING_FULL) -> str:
    """Where the sidecar of a photo is written under a naming convention."""
    if naming == NAMING_STEM:
        return os.path.splitext(photo_path)[0] + SIDECAR_SUFFIX
    return photo_path + SIDECAR_SUFFIX


def read_sidecar(path: str) -> XmpFields:
    """The fields of an XMP sidecar; raises ``XmpError`` when it is too big or corrupt."""
    size = os.path.getsize(path)
    if size > MAX_SIDECAR_BYTES:
        raise XmpError(f"sidecar {path} is {size / 1e6:.0f} MB, larger than any real sidecar; skipped")
    with _opened(path) as image:
        return fields_from_xmp(image.xmpData())


def read_embedded(path: str) -> XmpFields:
    """XMP and IPTC keywords inside a photo file (read only); empty when the format has none.

    libexiv2's warnings about a photo (odd maker notes) do not hide its XMP: not strict."""
    try:
        with _opened(path, strict=False) as image:
            embedded = fields_from_xmp(image.xmpData())
            iptc = _iptc_keywords(image.iptcData())
    except XmpError:
        return XmpFields()  # a format libexiv2 does not know, or no metadata block: nothing embedded
    if iptc:
        keywords = merge_keywords(flat=iptc) if embedded.keywords is None else merge_keywords(embedded.keywords, iptc)
        embedded = XmpFields(embedded.rating, embedded.label, embedded.caption, keywords)
    return embedded


def fields_from_xmp(xmp: Any) -> XmpFields:
    """Our fields out of an ``exiv2.XmpData`` (keywords merged as digiKam does)."""
    rating = _text(xmp, RATING_KEY)
    tags = {key: _array(xmp, key) for key in (DIGIKAM_KEY, LIGHTROOM_KEY, SUBJECT_KEY)}
    has_tags = any(values is not None for values in tags.values())
    return XmpFields(
        rating=rating_from_xmp(rating) if rating is not None else None,
        label=_text(xmp, LABEL_KEY) or None,
        caption=_lang_alt(xmp, CAPTION_KEY) or None,
        keywords=merge_keywords(tags[DIGIKAM_KEY] or (), tags[SUBJECT_KEY] or (), tags[LIGHTROOM_KEY] or ())
        if has_tags
        else None,
    )


def write_sidecar(path: str, update: SidecarUpdate) -> bool:
    """Apply ``update`` to the sidecar at ``path`` (created when missing), keeping every other
    field in it; written to a temporary file in the same folder, then renamed over it.

    A sidecar left without any field is removed (libexiv2 writes no empty packet). Returns
    whether the sidecar exists now."""
    import exiv2

    exists = os.path.exists(path)
    if exists:
        read_sidecar(path)  # refuse to rewrite a corrupt or huge file: another tool's data
    temp = _new_temp_file(path)
    try:
        if exists:
            with open(path, "rb") as source, open(temp, "wb") as target:
                target.write(source.read())
            os.chmod(temp, os.stat(path).st_mode & 0o7777)
            with _opened(temp) as image:
                kept = _apply(image, update)
        else:
            with _logged(temp):
                image = exiv2.ImageFactory.create(exiv2.ImageType.xmp, temp)
                image.setXmpData(exiv2.XmpData())
                kept = _apply(image, update)
        if kept:
            os.replace(temp, path)
        else:
            os.unlink(temp)
            if exists:
                os.unlink(path)
        return kept
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _new_temp_file(path: str) -> str:
    """An empty hidden file beside ``path`` (the scanner skips hidden files), created with the
    usual permissions (the umask applies), unlike ``tempfile.mkstemp``'s 0600."""
    folder, name = os.path.split(path)
    while True:
        temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temp
        except FileExistsError:
            continue


def _apply(image: Any, update: SidecarUpdate) -> bool:
    """Change the image's XMP and write it; False (nothing written) when no field is left."""
    import exiv2

    xmp = image.xmpData()
    if update.set_rating:
        _set(xmp, RATING_KEY, None if update.rating is None else str(update.rating))
    if update.set_label:
        _set(xmp, LABEL_KEY, update.label)
    if update.set_caption:
        _set(xmp, CAPTION_KEY, None if update.caption is None else exiv2.LangAltValue({"x-default": update.caption}))
    if update.add_keywords or update.remove_keywords:
        _update_keywords(xmp, update.add_keywords, update.remove_keywords)
    # libexiv2 mirrors a sidecar's XMP into Exif and IPTC when reading it and copies those back
    # when writing, which would bring back a field just removed: write the XMP alone.
    image.clearExifData()
    image.clearIptcData()
    if xmp.empty():
        return False
    image.writeMetadata()
    return True


def _update_keywords(xmp: Any, added: Sequence[str], removed: Sequence[str]) -> None:
    """Add and remove paths in all three tag fields, leaving other tools' tags in place."""
    import exiv2

    gone = {path.lower() for path in removed}
    digikam = _edit_list(_array(xmp, DIGIKAM_KEY), added, gone, lambda p: p)
    lightroom = _edit_list(_array(xmp, LIGHTROOM_KEY), added, gone, lambda p: p.replace("/", "|"))
    still_used = {leaf(path).lower() for path in digikam}
    stale_leaves = {leaf(path).lower() for path in removed} - still_used
    subject = _edit_list(_array(xmp, SUBJECT_KEY), [leaf(p) for p in added], stale_leaves, lambda p: p)
    for key, values, kind in (
        (DIGIKAM_KEY, digikam, exiv2.TypeId.xmpSeq),
        (LIGHTROOM_KEY, lightroom, exiv2.TypeId.xmpBag),
        (SUBJECT_KEY, subject, exiv2.TypeId.xmpBag),
    ):
        _set(xmp, key, exiv2.XmpArrayValue(values, kind) if values else None)


def _edit_list(current: list[str] | None, added: Sequence[str], gone: set[str], spell: Callable[[str], str]) -> list[str]:
    values = [value for value in current or [] if _as_path(value).lower() not in gone]
    present = {_as_path(value).lower() for value in values}
    values += [spell(path) for path in added if path.lower() not in present]
    return values


def _as_path(value: str) -> str:
    return value.replace("|", "/")


def _set(xmp: Any, key: str, value: Any) -> None:
    import exiv2

    found = xmp.findKey(exiv2.XmpKey(key))
    if found != xmp.end():
        xmp.erase(found)
    if value is not None:
        xmp[key] = value


def _text(xmp: Any, key: str) -> str | None:
    return xmp[key].toString().strip() if key in xmp else None


def _array(xmp: Any, key: str) -> list[str] | None:
    if key not in xmp:
        return None
    value = xmp[key].value()
    return [value.toString(i) for i in range(value.count())]


def _lang_alt(xmp: Any, key: str) -> str | None:
    if key not in xmp:
        return None
    value = xmp[key].value()
    try:
        return value["x-default"].strip()
    except (KeyError, TypeError):
        return value.toString(0).strip() if value.count() else None


def _iptc_keywords(iptc: Any) -> list[str]:
    return [datum.toString().strip() for datum in iptc if datum.key() == IPTC_KEYWORDS_KEY]


@contextmanager
def _opened(path: str, strict: bool = True) -> Iterator[Any]:
    """An exiv2 image with its metadata read; libexiv2's complaints raise ``XmpError``."""
    import exiv2

    with _logged(path, strict):
        image = exiv2.ImageFactory.open(path)
        image.readMetadata()
        yield image


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _logged(path: str, strict: bool = True) -> Iterator[None]:
    """Turn libexiv2's exceptions while handling ``path``, and when ``strict`` the warnings it
    logs (a sidecar it could not parse), into ``XmpError``."""
    import exiv2

    logger = logging.getLogger(_EXIV2_LOGGER)
    collector = _Collector()
    logger.addHandler(collector)  # also keeps libexiv2's messages off the terminal
    try:
        yield
    except exiv2.Exiv2Error as error:
        raise XmpError(f"{Path(path).name}: {error.args[-1] if error.args else error}") from error
    except (OSError, UnicodeError) as error:
        raise XmpError(f"{Path(path).name}: {error}") from error
    finally:
        logger.removeHandler(collector)
    if strict and collector.messages:
        raise XmpError(f"{Path(path).name}: {'; '.join(collector.messages)}")
