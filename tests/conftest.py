from __future__ import annotations

import os

# Without a display Qt aborts the process; offscreen works everywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never touch the user's real data home.
os.environ.pop("PHOTO_ORGANIZER_HOME", None)

import pytest  # noqa: E402

from photo_organizer.context import AppContext  # noqa: E402
from photo_organizer.models.provider import ModelOptions  # noqa: E402

# Encoders live on each context's ModelProvider, so no test sees another test's model.
RANDOM_WEIGHTS = ModelOptions(random_weights=True)


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


@pytest.fixture
def random_ctx(home):
    """A context whose models run with random weights (the real architectures)."""
    context = AppContext.open(home, RANDOM_WEIGHTS)
    yield context
    context.close()
