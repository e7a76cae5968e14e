"""What a user decides about a photo, as plain values, and the pure rules on them.

A rating is 0-5 stars, -1 for a rejected photo (as digiKam and Lightroom store a reject in
``xmp:Rating``), None when never rated. Colour labels use Lightroom's ``xmp:Label`` names.
Keywords are hierarchical paths joined by ``/`` ("Trips/2019/Lyon").

Keyword merging follows digiKam: hierarchical tags come from ``lr:hierarchicalSubject`` (``|``)
and ``digiKam:TagsList`` (``/``); flat tags from ``dc:subject`` and IPTC Keywords are kept
only when they are not already a part of a hierarchy; an ancestor of another path is implied
by it and not kept separately; duplicates (ignoring case) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from photo_organizer.errors import LibraryError

REJECTED = -1
MAX_STARS = 5
LABELS = ("Red", "Yellow", "Green", "Blue", "Purple")
KEYWORD_SEPARATOR = "/"
SIDECAR_SUFFIX = ".xmp"  # IMG_1.JPG.xmp or IMG_1.xmp

# The fields an edit may touch, and therefore an undo record restores.
RATING, LABEL, CAPTION, FAVOURITE, KEYWORDS = "rating", "label", "caption", "favourite", "keywords"


@dataclass(frozen=True)
class Curation:
    """One photo's curation as the library holds it."""

    rating: int | None = None
    label: str | None = None
    caption: str | None = None
    favourite: bool = False
    keywords: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        return self.rating == REJECTED

    def as_json(self) -> dict:
        return {
            "rating": self.rating,
            "rejected": self.rejected,
            "label": self.label,
            "caption": self.caption,
            "favourite": self.favourite,
            "keywords": list(self.keywords),
        }


@dataclass(frozen=True)
class XmpFields:
    """What one XMP source (a sidecar, or the photo's own metadata) says; None: not present."""

    rating: int | None = None
    label: str | None = None
    caption: str | None = None
    keywords: tuple[str, ...] | None = None

    def over(self, base: "XmpFields") -> "XmpFields":
        """These fields where present, ``base``'s elsewhere (a sidecar over the embedded XMP)."""
        return XmpFields(
            rating=self.rating if self.rating is not None else base.rating,
            label=self.label if self.label is not None else base.label,
            caption=self.caption if self.caption is not None else base.caption,
            keywords=self.keywords if self.keywords is not None else base.keywords,
        )

    @property
    def empty(self) -> bool:
        return self == XmpFields()


def parse_rating(text: str) -> int:
    """'0'..'5' or 'reject' (the command line's STARS)."""
    if text.strip().lower() == "reject":
        return REJECTED
    try:
        stars = int(text)
    except ValueError:
        stars = -2
    if not 0 <= stars <= MAX_STARS:
        raise LibraryError(f"A rating is 0 to {MAX_STARS} stars or 'reject', not {text!r}.")
    return stars


def rating_from_xmp(text: str) -> int | None:
    """xmp:Rating is a real number; -1 is a reject, out-of-range values are clamped."""
    try:
        value = round(float(text))
    except ValueError:
        return None
    return REJECTED if value < 0 else min(value, MAX_STARS)


def parse_label(text: str | None) -> str | None:
    """A colour name in any case; None or 'none' clears the label."""
    if text is None or text.strip().lower() in ("", "none"):
        return None
    for label in LABELS:
        if label.lower() == text.strip().lower():
            return label
    raise LibraryError(f"A colour label is one of {', '.join(LABELS)} or none, not {text!r}.")


def normalise_keyword(text: str, separator: str = KEYWORD_SEPARATOR) -> str:
    """A keyword path with its parts trimmed and empty parts dropped, joined by '/'."""
    parts = [part.strip() for part in text.split(separator)]
    path = KEYWORD_SEPARATOR.join(part for part in parts if part)
    if not path:
        raise LibraryError(f"{text!r} is not a keyword.")
    return path


def merge_keywords(
    hierarchical: Iterable[str] = (), flat: Iterable[str] = (), lightroom: Iterable[str] = ()
) -> tuple[str, ...]:
    """The merged keyword paths of one photo (digiKam's rule, see the module docstring).

    ``hierarchical``: '/'-paths (digiKam:TagsList); ``lightroom``: '|'-paths
    (lr:hierarchicalSubject); ``flat``: single names (dc:subject, IPTC Keywords).
    """
    paths = _unique([*_paths(hierarchical, "/"), *_paths(lightroom, "|")])
    parts_in_hierarchies = {part.lower() for path in paths if "/" in path for part in path.split("/")}
    paths += [name for name in _unique(_paths(flat, None)) if name.lower() not in parts_in_hierarchies]
    paths = _unique(paths)
    ancestors = {path.lower().rsplit("/", n)[0] for path in paths for n in range(1, path.count("/") + 1)}
    return tuple(sorted((p for p in paths if p.lower() not in ancestors), key=str.lower))


def _paths(values: Iterable[str], separator: str | None) -> list[str]:
    paths = []
    for value in values:
        text = value.strip() if separator is None else "/".join(p.strip() for p in value.split(separator) if p.strip())
        if text:
            paths.append(text)
    return paths


def _unique(paths: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for path in paths:
        if path.lower() not in seen:
            seen.add(path.lower())
            kept.append(path)
    return kept


def leaf(path: str) -> str:
    return path.rsplit(KEYWORD_SEPARATOR, 1)[-1]


@dataclass(frozen=True)
class KeywordNode:
    name: str
    path: str
    count: int  # photos with this keyword or one below it
    children: tuple["KeywordNode", ...] = ()

    def as_json(self) -> dict:
        return {"name": self.name, "path": self.path, "count": self.count, "children": [c.as_json() for c in self.children]}


def keyword_tree(photos_by_path: dict[str, set[int]]) -> tuple[KeywordNode, ...]:
    """The keyword hierarchy with photo counts (a photo counts once per node), sorted by name."""
    below: dict[str, set[int]] = {}
    spelling: dict[str, str] = {}
    for path, photos in photos_by_path.items():
        parts = path.split(KEYWORD_SEPARATOR)
        for depth in range(1, len(parts) + 1):
            prefix = KEYWORD_SEPARATOR.join(parts[:depth])
            spelling.setdefault(prefix.lower(), prefix)
            below.setdefault(prefix.lower(), set()).update(photos)

    children: dict[str | None, list[str]] = {}
    for key in below:
        children.setdefault(key.rsplit(KEYWORD_SEPARATOR, 1)[0] if KEYWORD_SEPARATOR in key else None, []).append(key)

    def nodes(parent: str | None) -> tuple[KeywordNode, ...]:
        return tuple(
            KeywordNode(leaf(spelling[key]), spelling[key], len(below[key]), nodes(key))
            for key in sorted(children.get(parent, []))
        )

    return nodes(None)
