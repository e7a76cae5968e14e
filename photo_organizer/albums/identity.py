"""Stable album identity: match the clusters of a new run to the albums of the last one.

Albums and clusters are matched one to one by member overlap (Jaccard), maximising the total
overlap with the Hungarian algorithm. A matched album keeps its id, user name, hidden flag
and exclusions and takes the cluster's members.

User-touched albums (renamed, hidden, merged into, or with photos removed) are protected:

* they match only on a strong overlap (``MIN_JACCARD_TOUCHED``), so an album the user named
  "Cats" cannot silently become a different album that happens to share some photos;
* a new cluster left unmatched that lies mostly inside a touched album is absorbed into it, so
  an album the user merged is not split again by the next run;
* a touched album that matches nothing is kept as it was, never deleted.

Untouched albums that match nothing disappear, unless they hold photos of a removed or missing
folder (matched on their present photos only, kept until those come back or are forgotten);
unmatched clusters become new albums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_JACCARD = 0.3
MIN_JACCARD_TOUCHED = 0.5
ABSORB_FRACTION = 0.6


@dataclass(frozen=True)
class PreviousAlbum:
    id: int
    members: frozenset[int]
    touched: bool  # renamed, hidden, merged into, or photos removed by the user
    has_away: bool = False  # holds photos of a removed or missing folder: never dropped


@dataclass
class IdentityPlan:
    matched: dict[int, list[int]] = field(default_factory=dict)  # album id -> cluster indices
    kept: dict[int, list[int]] = field(default_factory=dict)  # unmatched touched album -> absorbed clusters
    new: list[int] = field(default_factory=list)  # cluster indices that become new albums
    dropped: list[int] = field(default_factory=list)  # untouched albums that matched nothing


def overlap_counts(previous: Sequence[PreviousAlbum], clusters: Sequence[frozenset[int]]) -> np.ndarray:
    """(albums, clusters) matrix of shared photo counts."""
    owners: dict[int, list[int]] = {}
    for row, album in enumerate(previous):
        for photo in album.members:
            owners.setdefault(photo, []).append(row)
    counts = np.zeros((len(previous), len(clusters)), dtype=np.int64)
    for column, cluster in enumerate(clusters):
        for photo in cluster:
            for row in owners.get(photo, ()):
                counts[row, column] += 1
    return counts


def jaccard(counts: np.ndarray, previous: Sequence[PreviousAlbum], clusters: Sequence[frozenset[int]]) -> np.ndarray:
    album_sizes = np.array([len(a.members) for a in previous], dtype=np.float64)[:, None]
    cluster_sizes = np.array([len(c) for c in clusters], dtype=np.float64)[None, :]
    union = album_sizes + cluster_sizes - counts
    return np.divide(counts, union, out=np.zeros(counts.shape), where=union > 0)


def match_clusters(
    previous: Sequence[PreviousAlbum],
    clusters: Sequence[frozenset[int]],
    min_jaccard: float = MIN_JACCARD,
    min_jaccard_touched: float = MIN_JACCARD_TOUCHED,
    absorb_fraction: float = ABSORB_FRACTION,
) -> IdentityPlan:
    from scipy.optimize import linear_sum_assignment

    plan = IdentityPlan()
    counts = overlap_counts(previous, clusters)
    similarity = jaccard(counts, previous, clusters)
    matched_cluster_of: dict[int, int] = {}
    if previous and clusters:
        for row, column in zip(*linear_sum_assignment(-similarity)):
            needed = min_jaccard_touched if previous[row].touched else min_jaccard
            if similarity[row, column] >= needed:
                matched_cluster_of[int(row)] = int(column)
    taken = set(matched_cluster_of.values())
    for row, album in enumerate(previous):
        if row in matched_cluster_of:
            plan.matched[album.id] = [matched_cluster_of[row]]
        elif album.touched or album.has_away:
            plan.kept[album.id] = []
        else:
            plan.dropped.append(album.id)
    for column, cluster in enumerate(clusters):
        if column in taken:
            continue
        home = _absorbing_album(column, cluster, previous, counts, absorb_fraction)
        if home is None:
            plan.new.append(column)
        else:
            (plan.matched if home in plan.matched else plan.kept)[home].append(column)
    return plan


def _absorbing_album(
    column: int, cluster: frozenset[int], previous: Sequence[PreviousAlbum], counts: np.ndarray, fraction: float
) -> int | None:
    """The touched album that holds most of this cluster (at least ``fraction``), if any."""
    if not cluster or not previous:
        return None
    shares = counts[:, column] / len(cluster)
    touched = np.array([a.touched for a in previous])
    shares = np.where(touched, shares, 0.0)
    best = int(np.argmax(shares))
    return previous[best].id if shares[best] >= fraction else None
