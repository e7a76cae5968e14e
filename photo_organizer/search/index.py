"""The library's CLIP embeddings as one in-memory matrix, scored without a full sort.

``EmbeddingIndex`` loads ``Library.embeddings(model_key)`` once into a C-contiguous float32
matrix (rows of unit norm, ids ascending) and keeps it in sync cheaply: trigger-kept change
counters and the embeddings' largest rowid say in O(1) whether anything changed; new
embeddings (indexing in progress) are read alone and merged; anything else reloads. Scoring is one matrix-vector product; the top k come from
``np.argpartition`` (linear time) and only those k are sorted.

Why float32 in memory although the database stores float16: numpy has no fast float16
matrix product (measured in ``benchmarks/bench_search.py``), and converting chunks on every
query costs more than the bandwidth it saves.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from photo_organizer.errors import LibraryError
from photo_organizer.storage import Library


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties: lower position first)."""
    n = scores.shape[0]
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(n)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows rescaled to unit norm (float16 storage rounds the norms a little)."""
    if matrix.size == 0:
        return matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        raise LibraryError("A query vector is empty or not finite; the model output is unusable.")
    return vector / norm


class EmbeddingIndex:
    """Unit CLIP vectors of the library's live photos, for one model key."""

    COLUMN_CACHE_BYTES = 64 << 20  # similarity columns of rated photos kept between rounds
    GEMM_FROM_COLUMNS = 6  # above this many new columns one matrix product beats one pass each

    def __init__(self, library: Library, model_key: str) -> None:
        self.library = library
        self.model_key = model_key
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.generation = 0  # increases on every reload: vectors cached against rows go stale
        self._signature: tuple[int, int, int] | None = None
        self._columns: OrderedDict[int, np.ndarray] = OrderedDict()  # row -> cosine of every row to it

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim == 2 else 0

    # ---- keeping in sync with the database ---------------------------------------------------

    def _database_signature(self) -> tuple[int, int, int]:
        """O(1): see ``Library.embeddings_signature``."""
        return self.library.embeddings_signature()

    def refresh(self) -> bool:
        """Bring the matrix up to date with the database; True if anything was (re)loaded.

        Nothing changed: two tiny queries. Only new embeddings (indexing in progress): those
        rows alone are read and merged. Anything else (a vector rewritten, a photo removed or
        changed state): a full reload.
        """
        signature = self._database_signature()
        if signature == self._signature:
            return False
        if self._signature is not None and signature[:2] == self._signature[:2]:
            self._merge_new_rows(after_rowid=self._signature[2], signature=signature)
        else:
            self.reload(signature)
        return True

    def reload(self, signature: tuple[int, int, int] | None = None) -> None:
        signature = signature or self._database_signature()
        ids, matrix = self.library.embeddings(self.model_key)
        self._install(ids, _unit_rows(matrix), signature)

    def _merge_new_rows(self, after_rowid: int, signature: tuple[int, int, int]) -> None:
        new_ids, vectors = self.library.embeddings_added_after(self.model_key, after_rowid)
        if not len(new_ids):
            self._signature = signature
            return
        new_vectors = _unit_rows(vectors)
        if len(self.ids) and new_vectors.shape[1] != self.matrix.shape[1]:
            self.reload(signature)
            return
        ids = np.concatenate([self.ids, new_ids])
        matrix = np.concatenate([self.matrix, new_vectors]) if len(self.ids) else new_vectors
        order = np.argsort(ids, kind="stable")
        if not np.all(order[:-1] < order[1:]):  # new ids interleave with old ones
            ids, matrix = ids[order], matrix[order]
        self._install(ids, matrix, signature)

    def _install(self, ids: np.ndarray, matrix: np.ndarray, signature: tuple[int, int, int]) -> None:
        self.ids = ids
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.generation += 1
        self._columns.clear()
        self._signature = signature

    # ---- lookups ------------------------------------------------------------------------

    def positions(self, photo_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row positions of ``photo_ids``; an id without an embedding here raises."""
        wanted = np.asarray(photo_ids, dtype=np.int64).reshape(-1)
        ids, found = self.present(wanted)
        if len(ids) != len(wanted):
            missing = sorted(set(wanted.tolist()) - set(ids.tolist()))[:5]
            raise LibraryError(
                f"Photo id(s) {missing} have no search embedding (unknown, removed, or not indexed yet). "
                "Run `photo-organizer index`, then try again."
            )
        return found

    def present(self, photo_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, positions) of those ``photo_ids`` that have an embedding here, in given order."""
        wanted = np.asarray(photo_ids, dtype=np.int64).reshape(-1)
        if len(self.ids) == 0 or len(wanted) == 0:
            return wanted[:0], np.zeros(0, dtype=np.int64)
        found = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        present = self.ids[found] == wanted
        return wanted[present], found[present]

    def vectors(self, photo_ids: Sequence[int]) -> np.ndarray:
        return self.matrix[self.positions(photo_ids)]

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of every row to a unit query vector, float32.

        numpy's einsum streams the matrix at memory speed; BLAS sgemv took about twice as
        long here (benchmarks/bench_search.py, scoring section).
        """
        return np.einsum("ij,j->i", self.matrix, np.asarray(query, dtype=np.float32))

    def similarity_columns(self, rows: np.ndarray) -> np.ndarray:
        """(n, m) cosine of every row to each of the rows given (the rated photos).

        Rated photos stay rated over the rounds of a session, so their columns are cached
        (least recently used first out, within ``COLUMN_CACHE_BYTES``) and a refine computes
        only the newly rated ones. The result is a transposed (Fortran-order) view of
        contiguous columns: per-candidate maxima over a subset of columns run fastest on it.
        """
        wanted = [int(row) for row in np.asarray(rows).reshape(-1)]
        if not wanted:
            return np.zeros((len(self), 0), dtype=np.float32)
        missing = list(dict.fromkeys(row for row in wanted if row not in self._columns))
        if len(missing) > self.GEMM_FROM_COLUMNS:
            fresh = self.matrix[missing] @ self.matrix.T  # (k, n): each column contiguous
        else:  # BLAS packs the whole matrix first: for a few columns, streaming it per column wins
            fresh = [self.scores(self.matrix[row]) for row in missing]
        for row, column in zip(missing, fresh):
            self._columns[row] = column
        for row in wanted:
            self._columns.move_to_end(row)
        self._evict_columns(keep=len(set(wanted)))
        return np.stack([self._columns[row] for row in wanted]).T

    def _evict_columns(self, keep: int) -> None:
        per_column = max(len(self), 1) * 4
        limit = max(keep, self.COLUMN_CACHE_BYTES // per_column)
        while len(self._columns) > limit:
            self._columns.popitem(last=False)
