"""Finding faces in one photo and describing them: dlib's detector, 5-point alignment, ResNet.

Models (PyPI ``face-recognition-models`` 0.3.0, run by ``dlib-bin``): the HOG frontal face
detector (built into dlib; the default), the CNN "mmod" detector (a setting: finds turned and
small faces better; measured here about 17x slower than HOG on a CPU), the 5-point landmark
model and the ResNet descriptor (128-d; same person < 0.6 apart). The 68-point landmark model that the package
also ships is never used: its training data is licensed for non-commercial use only.

Decode size: the photo is decoded upright (EXIF orientation applied) and scaled so its long
side is at most ``DECODE_LONG_SIDE`` = 1600 px. HOG finds faces of about 80 px and more, so a
face down to 5% of the photo's long side is found; on a photo whose long side is under
``UPSAMPLE_BELOW`` = 1000 px the detector runs once upsampled (2x), which finds faces down to
about 40 px there. Measured here: HOG on 1600x1200 takes about 0.11 s, with one upsampling
0.47 s, so upsampling every photo would quadruple the pass for faces under 5% of the frame.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photo_organizer.errors import ModelError
from photo_organizer.people.store import FoundFace

HOG = "hog"
CNN = "cnn"
DETECTORS = (HOG, CNN)
DECODE_LONG_SIDE = 1600
# load_rgb's JPEG draft keeps at least this short side: 1200 for a 4:3 photo of long side 1600.
DECODE_MIN_SIDE = DECODE_LONG_SIDE * 3 // 4
UPSAMPLE_BELOW = 1000
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"
MODEL_FILES = (LANDMARKS_FILE, DESCRIPTOR_FILE, CNN_DETECTOR_FILE)
BUNDLE_FOLDER = "face_models"  # where the installer puts the three files (packaging spec)
INSTALL_HINT = "Face recognition needs dlib and its models: pip install dlib-bin face-recognition-models"


def models_folder() -> Path:
    """The folder of the model files: the bundle's, else the installed package's. The package is
    located, not imported: its ``__init__`` imports pkg_resources, which recent setuptools lack."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / BUNDLE_FOLDER
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def model_file(name: str) -> Path:
    path = models_folder() / name
    if not path.is_file():
        raise ModelError(f"The face model {name} is missing from {path.parent}. {INSTALL_HINT}")
    return path


def _import_dlib() -> Any:
    try:
        import dlib
    except ImportError as error:
        raise ModelError(f"{INSTALL_HINT} ({error})") from None
    return dlib


def scaled_for_detection(image: Image.Image) -> np.ndarray:
    """Upright RGB photo -> uint8 array with long side at most ``DECODE_LONG_SIDE``."""
    scale = DECODE_LONG_SIDE / max(image.size)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


class FaceAnalyzer:
    """The loaded models. Not thread-safe: one analyzer per thread (dlib releases the GIL, so
    analyzers in several threads use several cores)."""

    def __init__(self, detector: str = HOG) -> None:
        if detector not in DETECTORS:
            raise ModelError(f"Unknown face detector {detector!r}; choose one of {', '.join(DETECTORS)}.")
        dlib = _import_dlib()
        self.detector_name = detector
        self._dlib = dlib
        if detector == CNN:
            self._detector = dlib.cnn_face_detection_model_v1(str(model_file(CNN_DETECTOR_FILE)))
        else:
            self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(model_file(LANDMARKS_FILE)))
        self._descriptor = dlib.face_recognition_model_v1(str(model_file(DESCRIPTOR_FILE)))

    def detect(self, array: np.ndarray) -> list[Any]:
        """Face rectangles (dlib's) in a photo scaled by ``scaled_for_detection``."""
        upsample = 1 if max(array.shape[:2]) < UPSAMPLE_BELOW else 0
        found = self._detector(array, upsample)
        return [hit.rect for hit in found] if self.detector_name == CNN else list(found)

    def describe(self, array: np.ndarray, rectangles: list[Any]) -> list[FoundFace]:
        """Align each face with the 5 landmarks and compute its descriptor (all in one call)."""
        if not rectangles:
            return []
        shapes = self._dlib.full_object_detections()
        for rectangle in rectangles:
            shapes.append(self._landmarks(array, rectangle))
        descriptors = self._descriptor.compute_face_descriptor(array, shapes)
        height, width = array.shape[:2]
        return [
            FoundFace(_normalised_box(rectangle, width, height), np.asarray(descriptor, dtype=np.float32))
            for rectangle, descriptor in zip(rectangles, descriptors)
        ]

    def find_faces(self, array: np.ndarray) -> list[FoundFace]:
        """Every face in the photo: box normalised to the upright photo, 128-d descriptor."""
        return self.describe(array, self.detect(array))


def check_face_models() -> str:
    """Load all three models and run each once on a generated image (the self-test: proves dlib
    and the model files of an installation work, without shipping a photo of a face)."""
    analyzer = FaceAnalyzer(HOG)
    analyzer.detect(np.full((200, 200, 3), 128, dtype=np.uint8))
    image = np.asarray(Image.radial_gradient("L").convert("RGB"))
    (face,) = analyzer.describe(image, [_import_dlib().rectangle(64, 64, 191, 191)])
    if face.descriptor.shape != (128,) or not np.isfinite(face.descriptor).all():
        raise ModelError(f"The face descriptor model gave a {face.descriptor.shape} vector or non-finite values.")
    FaceAnalyzer(CNN)
    return f"detector, 5-point landmarks, 128-d descriptor and CNN detector run ({models_folder()})"


def _normalised_box(rectangle: Any, width: int, height: int) -> tuple[float, float, float, float]:
    """A detection may reach past the border (a face cut by the frame): clip to the photo."""
    def clip(value: float) -> float:
        return float(min(1.0, max(0.0, value)))

    return (
        clip(rectangle.left() / width),
        clip(rectangle.top() / height),
        clip((rectangle.right() + 1) / width),
        clip((rectangle.bottom() + 1) / height),
    )


def face_crop(image: Image.Image, box: tuple[float, float, float, float], side: int = 160, margin: float = 0.3) -> Image.Image:
    """A square crop around a face box of the upright photo, ``margin`` of the box on each side."""
    left, top, right, bottom = box[0] * image.width, box[1] * image.height, box[2] * image.width, box[3] * image.height
    half = max(right - left, bottom - top) * (0.5 + margin)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    region = (round(centre_x - half), round(centre_y - half), round(centre_x + half), round(centre_y + half))
    return image.crop(region).resize((side, side), Image.Resampling.LANCZOS)
