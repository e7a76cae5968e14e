"""The wheel carries the resources: an install from it (not editable, outside the source tree)
loads the album vocabulary and the icons."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

LOAD_RESOURCES = """
import photo_organizer
from photo_organizer.albums.naming import Vocabulary
from photo_organizer.resources import resource_path
print(photo_organizer.__file__)
print(len(Vocabulary.load().names))
print(resource_path("icons/like.svg"))
"""


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT / "photo_organizer", source / "photo_organizer", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)]
    subprocess.run(command, check=True, cwd=tmp_path, timeout=300)
    (wheel,) = dist.glob("photo_organizer-*.whl")
    return wheel


def _venv_seeing_our_dependencies(tmp_path: Path) -> Path:
    """A fresh venv whose own site-packages come first, with this interpreter's site-packages
    (torch, numpy, ...) appended by a .pth file. ``--system-site-packages`` alone is not enough
    when this interpreter is itself a venv: it would expose the base Python's packages only."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()
    Path(venv_site, "shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_installed_wheel_finds_its_resources(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "photo_organizer/resources/album_vocabulary.json" in names
    assert "photo_organizer/resources/icon.png" in names
    assert "photo_organizer/resources/icons/like.svg" in names

    python = _venv_seeing_our_dependencies(tmp_path)
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--ignore-installed", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    loaded = subprocess.run(
        [str(python), "-c", LOAD_RESOURCES], cwd=outside, env=env, capture_output=True, text=True, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr
    package_file, label_count, icon = loaded.stdout.split()
    venv = python.parent.parent
    assert Path(package_file).is_relative_to(venv)  # the wheel's copy, not the source tree
    assert int(label_count) > 100
    assert Path(icon).is_relative_to(venv) and Path(icon).is_file()
