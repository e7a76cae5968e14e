"""Query vectors for one CLIP model, as cheaply as possible: cache, then ONNX, then torch.

Importing torch with open_clip takes 5-7 s on a small machine, longer than the whole search
should. So a query is encoded by the first of:

1. ``QueryCache``: vectors of earlier queries, in ``<data home>/cache/query_vectors.db``,
   keyed by (model key, kind, text or file identity). No model at all.
2. ``OnnxTextEncoder``: the CLIP text tower exported once to ONNX Runtime
   (``<data home>/onnx/<model key>/``, see ``text_tower.export_text_tower``) with a
   torch-free tokenizer. About 1 s to start in a fresh process, no torch import.
3. The torch model from the models package, with the text tower cut to the query length.
   When allowed (``export_onnx``), ``export_if_pending`` then exports the ONNX tower for the
   next time (``prepare_text_search`` does the same for any caller holding the model).

Image files (search by an example photo that is not in the library) take the same order
with the image tower: cache, the ONNX image tower (``image_tower``, exported after the CLIP
pass of indexing), then torch. A file whose content is in the library needs no encoder at all
(``SearchEngine`` reuses the stored embedding).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from photo_organizer.errors import ImageLoadError, ModelError
from photo_organizer.search.clip_tokenizer import VOCAB_FILE_NAME, ClipTokenizer
from photo_organizer.storage.query_cache import QueryCache  # noqa: F401 - imported from here too

CACHE_FILE = "query_vectors.db"
TEXT = "text"
IMAGE_FILE = "image"


class OnnxTextEncoder:
    """The exported CLIP text tower on ONNX Runtime: no torch in the process."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime

        from photo_organizer.search.text_tower import META_FILE, MODEL_FILE

        meta = json.loads((folder / META_FILE).read_text())
        self.model_key: str = meta["model_key"]
        self.dim: int = int(meta["dim"])
        self._tokenizer = ClipTokenizer(folder / VOCAB_FILE_NAME, int(meta["context_length"]))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # A query is a handful of tokens (milliseconds of work): threads that spin-wait for the
        # next operator fight a busy machine for the cores (median 42 ms instead of 9 under
        # load); without spinning, idle 8.9 ms (7.8 with it, 12.8 on one thread).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    @staticmethod
    def is_installed(folder: Path) -> bool:
        from photo_organizer.search.text_tower import META_FILE, MODEL_FILE, WEIGHTS_FILE

        return all((folder / name).exists() for name in (MODEL_FILE, WEIGHTS_FILE, META_FILE, VOCAB_FILE_NAME))

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        vectors = self._session.run(None, {"tokens": self._tokenizer(texts)})[0]
        return np.asarray(vectors, dtype=np.float32)


def image_file_key(path: Path) -> str:
    """Identity of an image file for the cache: resolved path, size and modification time."""
    try:
        resolved = path.expanduser().resolve()
        stat = resolved.stat()
    except OSError as error:
        raise ImageLoadError(f"Cannot read the query image {path}: {error.strerror or error}.") from error
    return f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"


class QueryEncoder:
    """Query vectors (unit float32) for the CLIP model ``model_key``.

    ``load_clip`` builds the torch ClipEncoder (models package) and is called at most once,
    only when neither the cache nor the ONNX tower can answer. ``last_source`` says which
    answered the last request ("cache", "onnx" or "torch"), for the command line and benchmarks.
    ``notify`` receives one-line messages for the user (an ONNX export starting, a fallback).
    ``text_encoder`` (anything with ``encode_texts``) answers texts instead of loading the model.
    """

    def __init__(
        self,
        model_key: str,
        *,
        load_clip: Callable[[], Any] | None,
        cache: QueryCache | None = None,
        onnx_folder: Path | None = None,
        export_onnx: bool = False,
        notify: Callable[[str], None] | None = None,
        text_encoder: Any = None,
    ) -> None:
        self.model_key = model_key
        self._notify = notify or (lambda message: None)
        self._load_clip = load_clip
        self._cache = cache
        self._onnx_folder = onnx_folder
        self._export_onnx = export_onnx
        self._onnx: OnnxTextEncoder | None = None
        self._onnx_image: Any = None
        self._clip: Any = None
        self._torch_text: Any = text_encoder
        self.last_source = ""
        self.export_pending = False

    # ---- text ---------------------------------------------------------------------------

    def text(self, text: str) -> np.ndarray:
        cached = self._cache.get(self.model_key, TEXT, text) if self._cache else None
        if cached is not None:
            self.last_source = "cache"
            return cached
        onnx = self._onnx_encoder()
        if onnx is not None:
            vector, self.last_source = onnx.encode_texts([text])[0], "onnx"
        else:
            vector, self.last_source = self._torch_text_encoder().encode_texts([text])[0], "torch"
            self.export_pending = self._export_onnx and self._onnx_folder is not None
        if self._cache:
            self._cache.put(self.model_key, TEXT, text, vector)
        return vector

    def text_encoder(self) -> Any:
        """The fastest encoder of many texts at once (``encode_texts``): the ONNX tower when
        exported, else the loaded model running only the tokens the texts need."""
        return self._onnx_encoder() or self._torch_text_encoder()

    def warm_up(self) -> None:
        """Load whatever will answer text queries (the GUI calls it in a worker at start)."""
        if self._onnx_encoder() is None:
            self._torch_text_encoder()

    def _onnx_encoder(self) -> OnnxTextEncoder | None:
        self._onnx = self._onnx or self._onnx_tower(OnnxTextEncoder, "text")
        return self._onnx

    def _onnx_tower(self, encoder_class: Any, tower: str) -> Any:
        """The exported ``tower`` of this model key, None when not exported (or damaged)."""
        folder = self._onnx_folder
        if folder is None or not encoder_class.is_installed(folder):
            return None
        try:
            encoder = encoder_class(folder)
        except Exception as error:  # a damaged export: fall back to torch, say why
            self._notify(f"ignoring the ONNX {tower} tower ({error}); using torch.")
            return None
        return encoder if encoder.model_key == self.model_key else None

    def _torch_text_encoder(self) -> Any:
        if self._torch_text is None:
            from photo_organizer.search.text_tower import (
                TruncatedTorchTextEncoder,
                open_clip_vocab_path,
                supports_truncation,
            )

            clip = self.clip()
            if supports_truncation(getattr(clip, "model", None)):
                tokenizer = ClipTokenizer(open_clip_vocab_path(), int(clip.model.attn_mask.shape[0]))
                self._torch_text = TruncatedTorchTextEncoder(clip, tokenizer)
            else:
                self._torch_text = clip
        return self._torch_text

    def export_if_pending(self) -> None:
        """After a text query went through torch: export the ONNX text tower for next time.

        Called by the command line once the results are printed (the export takes seconds).
        """
        if self.export_pending and self._onnx_folder is not None:
            self.export_pending = False
            prepare_text_search(self.clip(), self._onnx_folder, self._notify)

    # ---- images -------------------------------------------------------------------------

    def image_file(self, path: Path) -> np.ndarray:
        key = image_file_key(path)
        cached = self._cache.get(self.model_key, IMAGE_FILE, key) if self._cache else None
        if cached is not None:
            self.last_source = "cache"
            return cached
        onnx = self._onnx_image_encoder()
        vector = self.image(_load_query_image(path, onnx.input_size if onnx else self.clip().input_size))
        if self._cache:
            self._cache.put(self.model_key, IMAGE_FILE, key, vector)
        return vector

    def image(self, image: Any) -> np.ndarray:
        """A PIL image (a dropped picture in the GUI) to its unit vector: the exported ONNX
        image tower when there is one, else the torch model."""
        onnx = self._onnx_image_encoder()
        if onnx is not None:
            self.last_source = "onnx"
            return onnx.encode_pil([image])[0]
        from photo_organizer.models.torch_compat import import_torch

        torch = import_torch()
        clip = self.clip()
        self.last_source = "torch"
        return clip.encode_images(torch.stack([clip.preprocess(image)]))[0]

    def _onnx_image_encoder(self) -> Any:
        from photo_organizer.search.image_tower import OnnxImageEncoder

        self._onnx_image = self._onnx_image or self._onnx_tower(OnnxImageEncoder, "image")
        return self._onnx_image

    def clip(self) -> Any:
        if self._clip is None:
            if self._load_clip is None:
                raise ModelError("Encoding this query needs the CLIP model, and none is available here.")
            self._clip = self._load_clip()
            if self._clip.model_key != self.model_key:
                raise ModelError(
                    f"The loaded CLIP model ({self._clip.model_key}) is not the one the library's "
                    f"search embeddings were made with ({self.model_key}). Run `photo-organizer index`."
                )
        return self._clip


def prepare_text_search(clip_encoder: Any, folder: Path, notify: Callable[[str], None] | None = None) -> bool:
    """Export and verify the ONNX text tower of a loaded CLIP encoder unless it is there (or
    failed recently). For any caller that has the model in hand (the first command-line search,
    indexing, the GUI) so that later cold searches skip torch. True when the tower is ready."""
    from photo_organizer.search.text_tower import export_text_tower, recent_export_failure

    notify = notify or (lambda message: None)
    if OnnxTextEncoder.is_installed(folder):
        return True
    if recent_export_failure(folder) is not None:
        return False
    notify("preparing fast text search (once): exporting the CLIP text tower to ONNX...")
    try:
        meta = export_text_tower(clip_encoder, folder)
    except ModelError as error:
        notify(f"text search stays on torch: {error}")
        return False
    notify(f"fast text search ready (ONNX matches torch within {meta['max_difference']:.1e}).")
    return True


def _load_query_image(path: Path, min_side: int) -> Any:
    from photo_organizer.imaging import load_rgb

    return load_rgb(path, min_side=min_side)
