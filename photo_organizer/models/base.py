"""The small interface every encoder implements. No torch import here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from PIL import Image


@runtime_checkable
class ImageEncoder(Protocol):
    model_key: str  # names model, weights and preprocessing; embeddings are stored under it
    dim: int
    input_size: int  # side in pixels the preprocessing produces

    def preprocess(self, image: "Image.Image") -> object:
        """One RGB PIL image to one model input (a CHW tensor); thread-safe, runs in workers."""

    def encode_images(self, batch: object) -> np.ndarray:
        """A stacked batch of preprocessed inputs to an (n, dim) float32 L2-normalised array."""


@runtime_checkable
class TextEncoder(Protocol):
    model_key: str
    dim: int

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Texts to an (n, dim) float32 L2-normalised array in the image space of the model."""
