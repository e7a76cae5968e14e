"""Importing, checking and refusing weights files; downloads fail fast offline.

Real architectures (DINOv2 ViT-S/14, CLIP ViT-B/32) with random weights saved the way users'
files are; the refusals must name the model and the problem.
"""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from photo_organizer.cli.main import main
from photo_organizer.errors import ModelError, OfflineError, WeightsMismatchError
from photo_organizer.home import DataHome
from photo_organizer.models import weights
from photo_organizer.models.registry import get_spec
from tests.model_weights import DEFAULT_CLIP, DEFAULT_DINO, SMALL_DINO, random_weights_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "weights-files"


def _models_list(home) -> dict[str, dict]:
    return {row["name"]: row for row in _json_out(["--home", str(home), "models", "list", "--json"])}


def _json_out(argv) -> list:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return json.loads(buffer.getvalue())


def test_import_through_the_command_line_installs_and_lists_the_weights(files, home, capsys):
    source = random_weights_file(files, SMALL_DINO)
    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(source)]) == 0
    assert f"imported {source} as {SMALL_DINO}" in capsys.readouterr().out
    row = _models_list(home)[SMALL_DINO]
    assert row["installed"] and row["source"] == "import" and row["role"] == "dino" and row["dim"] == 384
    assert row["path"].startswith(str(home / "weights" / SMALL_DINO))
    installed = weights.find_installed(weights.search_path(DataHome.open(home)), get_spec(SMALL_DINO))
    assert installed is not None and installed.weights_id == f"lvd142m@{row['sha256'][:10]}"
    assert not _models_list(home)["vit_base_patch14_dinov2"]["installed"]


def test_safetensors_and_meta_dinov2_files_are_converted_to_the_same_tensors(files, tmp_path):
    import torch

    home = DataHome.open(tmp_path / "home")
    from_safetensors = weights.import_weights(home, SMALL_DINO, random_weights_file(files, SMALL_DINO, "safetensors"))
    plain = weights.read_checkpoint(from_safetensors.path)
    from_meta = weights.import_weights(home, SMALL_DINO, random_weights_file(files, SMALL_DINO, "meta"))
    converted = weights.read_checkpoint(from_meta.path)
    assert set(converted) == set(plain) and "mask_token" not in converted
    assert converted["pos_embed"].shape == plain["pos_embed"].shape == (1, 257, 384)  # 518 px -> 224 px
    assert torch.equal(converted["blocks.11.attn.qkv.weight"], plain["blocks.11.attn.qkv.weight"])


def test_training_checkpoint_wrappers_are_unwrapped(tmp_path):
    import torch

    path = tmp_path / "epoch_3.pt"
    torch.save({"epoch": 3, "state_dict": {"module.visual.proj": torch.ones(2, 2)}}, path)
    assert list(weights.read_checkpoint(path)) == ["visual.proj"]


@pytest.mark.parametrize(
    "holds, named, label",
    [
        (SMALL_DINO, DEFAULT_DINO, "ViT-S/14 weights (dinov2_vits14)"),
        (DEFAULT_DINO, SMALL_DINO, "ViT-B/14 weights (dinov2_vitb14)"),
    ],
)
def test_a_file_of_another_model_says_which_model_it_fits(files, home, capsys, holds, named, label):
    source = random_weights_file(files, holds)
    assert main(["--home", str(home), "models", "import", named, str(source)]) == 1
    message = capsys.readouterr().err
    assert f"does not fit {named}" in message
    assert f"this file holds {label}; import it with `photo-organizer models import {holds} FILE`" in message
    assert "cls_token" not in message  # the model's name, not tensor names
    assert not list((home / "weights").glob(f"{named}/model*.safetensors"))


def test_a_file_no_known_model_fits_lists_what_does_not_fit(tmp_path):
    import torch

    path = tmp_path / "odd.bin"
    torch.save({"cls_token": torch.zeros(1, 1, 100)}, path)
    with pytest.raises(WeightsMismatchError, match="missing .*See `photo-organizer models list`"):
        weights.import_weights(DataHome.open(tmp_path / "home"), SMALL_DINO, path)


def test_a_clip_file_is_refused_for_a_dino_model(files, tmp_path):
    home = DataHome.open(tmp_path / "home")
    with pytest.raises(WeightsMismatchError, match=f"does not fit {SMALL_DINO}"):
        weights.import_weights(home, SMALL_DINO, random_weights_file(files, DEFAULT_CLIP))


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "cannot be read as a PyTorch weights file"),
        (b"\x00" * 64, "cannot be read as a PyTorch weights file"),
        (b"<html>not found</html>", "cannot be read as a PyTorch weights file"),
    ],
)
def test_a_corrupt_file_is_refused_with_a_clear_message(tmp_path, content, reason):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=reason):
        weights.import_weights(DataHome.open(tmp_path / "home"), SMALL_DINO, path)


def test_truncated_downloads_are_refused_in_both_formats(files, tmp_path):
    home = DataHome.open(tmp_path / "home")
    for layout, name, reason in (
        ("state_dict", "model.bin", "cannot be read as a PyTorch weights file"),
        ("safetensors", "model.safetensors", "cannot be read as a safetensors weights file"),
    ):
        complete = random_weights_file(files, SMALL_DINO, layout).read_bytes()
        truncated = tmp_path / name
        truncated.write_bytes(complete[: len(complete) // 2])
        with pytest.raises(ModelError, match=reason) as caught:
            weights.import_weights(home, SMALL_DINO, truncated)
        assert "incomplete" in str(caught.value)
    assert weights.find_installed(weights.search_path(home), get_spec(SMALL_DINO)) is None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit makes the TorchScript file
def test_pickled_python_objects_and_torchscript_are_never_loaded(tmp_path):
    import torch

    home = DataHome.open(tmp_path / "home")
    pickled = tmp_path / "with_args.pt"
    torch.save({"state_dict": {"w": torch.ones(1)}, "args": argparse.Namespace(lr=0.1)}, pickled)
    with pytest.raises(ModelError, match="only plain weights are read"):
        weights.import_weights(home, DEFAULT_CLIP, pickled)
    scripted = tmp_path / "openai.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(scripted))
    with pytest.raises(ModelError, match="TorchScript archive"):
        weights.import_weights(home, DEFAULT_CLIP, scripted)


def test_download_fails_at_once_offline_with_the_import_command(tmp_path, monkeypatch):
    home = DataHome.open(tmp_path / "home")

    def unreachable(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    with pytest.raises(OfflineError) as caught:
        weights.download_weights(home, "vit_base_patch14_dinov2")
    assert "Cannot reach huggingface.co" in str(caught.value)
    assert "`photo-organizer models import vit_base_patch14_dinov2 FILE`" in str(caught.value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError, match="HF_HUB_OFFLINE"):
        weights.download_weights(home, DEFAULT_CLIP)


def test_describe_mismatch_counts_every_kind_of_problem():
    expected = {"a": np.zeros((2, 2)), "b": np.zeros(3), "c": np.zeros(1)}
    given = {"a": np.zeros((2, 3)), "b": np.zeros(3), "d": np.zeros(1)}
    text = weights.describe_mismatch(expected, given)
    assert "1 tensors wrong shape (a is (2, 3) in the file but (2, 2) in the model)" in text
    assert "1 tensors missing (c)" in text and "1 tensors unexpected (d)" in text
    assert weights.describe_mismatch(expected, expected) == ""


# ---- atomic install, checked load ------------------------------------------------------------


def _installed_files(home) -> list[str]:
    return sorted(path.name for path in (home / "weights" / SMALL_DINO).iterdir())


def _models(home):
    from photo_organizer.models.provider import ModelProvider

    return ModelProvider(DataHome.open(home))


def test_an_import_interrupted_before_the_manifest_keeps_the_old_weights(files, home, monkeypatch):
    import torch

    from photo_organizer.models.registry import set_active_model
    from photo_organizer.storage import Library

    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(random_weights_file(files, SMALL_DINO))]) == 0
    before = _models_list(home)[SMALL_DINO]
    other = files / "other_small.bin"
    torch.save({k: v + 1 for k, v in torch.load(random_weights_file(files, SMALL_DINO)).items()}, other)

    def killed(folder, manifest):
        raise KeyboardInterrupt  # the process dies between the weights file and the manifest

    monkeypatch.setattr(weights, "_write_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        weights.import_weights(DataHome.open(home), SMALL_DINO, other)
    assert len([name for name in _installed_files(home) if name.endswith(".safetensors")]) == 2
    monkeypatch.undo()

    after = _models_list(home)[SMALL_DINO]
    assert after["installed"] and after["sha256"] == before["sha256"] and after["path"] == before["path"]
    with Library(home / "library.db") as library:
        set_active_model(library, SMALL_DINO)
        encoder = _models(home).dino(library)
    assert encoder.model_key.split(":")[2] == f"lvd142m@{before['sha256'][:10]}"

    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(other)]) == 0  # cleans up
    assert _installed_files(home) == ["manifest.json", Path(_models_list(home)[SMALL_DINO]["path"]).name]
    assert _models_list(home)[SMALL_DINO]["sha256"] != before["sha256"]


def test_weights_changed_after_install_are_refused_and_not_listed(files, home, capsys):
    import os

    from photo_organizer.models.registry import set_active_model
    from photo_organizer.storage import Library

    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(random_weights_file(files, SMALL_DINO))]) == 0
    path = Path(_models_list(home)[SMALL_DINO]["path"])
    with path.open("r+b") as handle:  # same size, other bytes: a damaged disk or a bad copy
        handle.seek(path.stat().st_size // 2)
        handle.write(b"\x13" * 64)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the write happened later
    row = _models_list(home)[SMALL_DINO]
    assert not row["installed"] and "SHA-256" in row["damaged"]
    capsys.readouterr()
    assert main(["--home", str(home), "models", "list"]) == 0
    assert "DAMAGED, import again" in capsys.readouterr().out
    with Library(home / "library.db") as library:
        set_active_model(library, SMALL_DINO)
        with pytest.raises(WeightsMismatchError, match=f"installed weights of {SMALL_DINO} are damaged or incomplete"):
            _models(home).dino(library)
    path.write_bytes(b"short")
    with Library(home / "library.db") as library:
        with pytest.raises(WeightsMismatchError, match="has 5 bytes but its manifest says"):
            _models(home).dino(library)


def test_a_normal_load_does_not_hash_the_weights_again(files, home, monkeypatch):
    from photo_organizer.models.registry import get_spec

    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(random_weights_file(files, SMALL_DINO))]) == 0
    monkeypatch.setattr(weights, "file_sha256", lambda path: pytest.fail("hashed again"))
    models = _models(home)
    assert weights.require_installed(models.weights_folders(), get_spec(SMALL_DINO), models.digests)


def test_a_leftover_partial_file_is_removed_by_the_next_import(files, home):
    folder = home / "weights" / SMALL_DINO
    folder.mkdir(parents=True)
    (folder / "model.safetensors.partial").write_bytes(b"half a file")
    (folder / "manifest.json.partial").write_text("{")
    assert main(["--home", str(home), "models", "import", SMALL_DINO, str(random_weights_file(files, SMALL_DINO))]) == 0
    assert not [name for name in _installed_files(home) if name.endswith(".partial")]
