"""The PyInstaller bundle: its contents, and its self-test run as a user would run it.

Building takes minutes, so these tests run only on a built bundle named by
``PHOTO_ORGANIZER_BUNDLE`` (the folder ``dist/PhotoOrganizer``); ``packaging/ci_bundle_check.sh``
builds it and runs them (``pytest -m bundle``). Without the variable they are skipped.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from photo_organizer import __version__

pytestmark = pytest.mark.bundle

BUNDLE_ENV = "PHOTO_ORGANIZER_BUNDLE"
SELF_TEST_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def bundle() -> Path:
    location = os.environ.get(BUNDLE_ENV)
    if not location:
        pytest.skip(f"no bundle to test: set {BUNDLE_ENV}=dist/PhotoOrganizer (packaging/ci_bundle_check.sh does)")
    folder = Path(location).resolve()
    assert (folder / "PhotoOrganizer").is_file(), f"{folder} is not a built bundle"
    return folder


def frozen_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: no developer variables, a fresh data home, no display."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PHOTO_ORGANIZER_", "PYTHON"))}
    env.update(PHOTO_ORGANIZER_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return env


def run(bundle: Path, executable: str, *args: str, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bundle / executable), *args],
        env=frozen_env(tmp_path),
        cwd=tmp_path,  # never the source tree: the bundle must not find the project's files
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_each_name_starts_its_program(bundle, tmp_path):
    window = run(bundle, "PhotoOrganizer", "--help", tmp_path=tmp_path)
    assert window.returncode == 0, window.stderr
    assert "usage" in window.stdout and "self-test" not in window.stdout  # the window's options, not the CLI's
    version = run(bundle, "photo-organizer", "--version", tmp_path=tmp_path)
    assert version.returncode == 0, version.stderr
    assert __version__ in version.stdout
    status = run(bundle, "photo-organizer", "status", "--json", tmp_path=tmp_path)
    assert status.returncode == 0, status.stderr
    assert '"schema_version"' in status.stdout


def test_frozen_self_test_passes(bundle, tmp_path):
    result = run(bundle, "photo-organizer", "--self-test", "--random-weights", tmp_path=tmp_path, timeout=SELF_TEST_TIMEOUT_S)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "frozen app" in result.stdout and "self-test passed" in result.stdout
    assert "ok   window" in result.stdout and "ok   onnx text" in result.stdout


def test_bundle_carries_data_and_leaves_out_what_is_not_used(bundle):
    internal = bundle / "_internal"
    for needed in (
        "resources/icon.png",
        "open_clip/bpe_simple_vocab_16e6.txt.gz",
        "open_clip/model_configs/ViT-B-32.json",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "torch/bin/torch_shm_manager",
    ):
        assert (internal / needed).exists(), f"{needed} is missing from the bundle"
    names = [path.relative_to(internal).as_posix() for path in internal.rglob("*")]
    unwanted = ("libcudart", "libnvjpeg", "nvidia/", "libtorch_cuda", "torch/test/", "torch/include/",
                "_pytest/", "pytestqt/", "tkinter/", "matplotlib/", "PySide6/Qt/qml/")
    found = sorted({part for part in unwanted for name in names if part in name})
    assert not found, f"the bundle carries {found}"
