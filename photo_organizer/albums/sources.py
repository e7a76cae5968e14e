"""Which features albums are made from and named with; shared by the command line and the GUI."""

from __future__ import annotations

from collections.abc import Callable

from photo_organizer.albums.naming import AlbumNamer, load_namer
from photo_organizer.albums.recluster import last_clustering
from photo_organizer.errors import ModelError, WeightsMissingError
from photo_organizer.models.provider import ModelProvider
from photo_organizer.models.registry import active_spec
from photo_organizer.models.weights import missing_weights_message
from photo_organizer.storage import Library


def required_model_key(models: ModelProvider, library: Library, role: str) -> str:
    """The active model key of ``role``; the typed error says how to install it when missing."""
    key = models.active_key(library, role)
    if key is not None:
        return key
    spec = active_spec(library, role)
    if spec is None:
        raise ModelError(
            f"The {role} model is turned off in this library; `photo-organizer models use NAME` turns it on."
        )
    raise WeightsMissingError(missing_weights_message(spec))


def album_model_key(models: ModelProvider, library: Library) -> str:
    """The key of the DINOv2 features albums are made from (the last clustering's when the
    model's weights have gone, so existing albums stay usable)."""
    state = last_clustering(library)
    try:
        return required_model_key(models, library, "dino")
    except WeightsMissingError:
        if state is not None:
            return str(state["model_key"])
        raise


def namer_factory(models: ModelProvider, library: Library) -> Callable[[], AlbumNamer]:
    """Builds the namer on use (CLIP only loads when its label vectors are not cached)."""

    def make() -> AlbumNamer:
        return load_namer(models, library, required_model_key(models, library, "clip"))

    return make
