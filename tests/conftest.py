from __future__ import annotations

import os

# Without a display Qt aborts the process; offscreen works everywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never touch the user's real data home.
os.environ.pop("PHOTO_ORGANIZER_HOME", None)

import pytest  # noqa: E402

from photo_organizer.context import AppContext  # noqa: E402
from photo_organizer.models import loading  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_encoder_cache():
    """Encoders are cached per process; no test may see another test's model."""
    loading.clear_cache()
    yield
    loading.clear_cache()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh data home for one test (also set in the environment for subprocesses)."""
    path = tmp_path / "home"
    monkeypatch.setenv("PHOTO_ORGANIZER_HOME", str(path))
    return path


@pytest.fixture
def ctx(home):
    context = AppContext.open(home)
    yield context
    context.close()
