"""Model registry, active-model settings, model keys, missing-weights advice: no torch needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from photo_organizer.errors import ModelError, WeightsMissingError
from photo_organizer.home import DataHome
from photo_organizer.models import registry, weights
from photo_organizer.models.provider import ModelOptions, ModelProvider
from photo_organizer.storage import Library


@pytest.fixture
def library():
    with Library.in_memory() as lib:
        yield lib


def test_every_role_has_a_default_and_the_issue_s_models():
    assert registry.get_spec(registry.DEFAULT_MODELS["clip"]).pretrained_tag == "laion2b_s34b_b79k"
    assert registry.DEFAULT_MODELS["dino"] == "vit_base_patch14_dinov2"
    clip_names = {spec.name for spec in registry.specs_for_role("clip")}
    dino_names = {spec.name for spec in registry.specs_for_role("dino")}
    assert clip_names == {"ViT-B-32", "ViT-B-16", "ViT-L-14"}
    for size in ("small", "base", "large"):
        assert {f"vit_{size}_patch14_dinov2", f"vit_{size}_patch14_reg4_dinov2"} <= dino_names
    assert all(spec.input_size == 224 for spec in registry.SPECS.values())


def test_names_are_case_insensitive_and_typos_list_the_known_models():
    assert registry.get_spec("vit-b-32").name == "ViT-B-32"
    with pytest.raises(ModelError, match="Known models: ViT-B-32"):
        registry.get_spec("ViT-B-99")


def test_active_model_defaults_switches_and_can_be_turned_off(library):
    assert registry.active_spec(library, "dino").name == "vit_base_patch14_dinov2"
    assert registry.enabled_roles(library) == ["clip", "dino"]
    registry.set_active_model(library, "vit_small_patch14_reg4_dinov2")
    registry.set_active_model(library, "ViT-L-14")
    assert registry.active_spec(library, "dino").name == "vit_small_patch14_reg4_dinov2"
    assert registry.active_spec(library, "clip").name == "ViT-L-14"
    registry.disable_role(library, "dino")
    assert registry.active_spec(library, "dino") is None
    assert registry.enabled_roles(library) == ["clip"]
    registry.set_active_model(library, "vit_base_patch14_dinov2")
    assert registry.enabled_roles(library) == ["clip", "dino"]


def test_model_key_names_role_model_weights_and_preprocessing():
    spec = registry.get_spec("vit_base_patch14_dinov2")
    key = registry.model_key(spec, "lvd142m@0123456789", "itae-v-1.5")
    assert key == "dino:vit_base_patch14_dinov2:lvd142m@0123456789:224px:itae-v-1.5"
    assert registry.parse_model_key(key) == {
        "role": "dino",
        "architecture": "vit_base_patch14_dinov2",
        "weights": "lvd142m@0123456789",
        "preprocessing": "224px",
        "suffix": "itae-v-1.5",
    }
    with pytest.raises(ModelError):
        registry.parse_model_key("not-a-key")


def test_missing_weights_message_names_both_commands(tmp_path):
    home = DataHome.open(tmp_path / "home")
    spec = registry.get_spec("ViT-B-32")
    with pytest.raises(WeightsMissingError) as caught:
        weights.require_installed(weights.search_path(home), spec)
    message = str(caught.value)
    assert "`photo-organizer models download ViT-B-32`" in message
    assert "`photo-organizer models import ViT-B-32 FILE`" in message
    assert "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" in message


def test_no_model_key_without_weights_or_for_a_disabled_role(tmp_path, library):
    models = ModelProvider(DataHome.open(tmp_path / "home"))
    assert models.active_key(library, "clip") is None
    registry.disable_role(library, "dino")
    assert models.active_key(library, "dino") is None


def test_random_weights_mode_keys_never_mix_with_real_weights(tmp_path, library):
    models = ModelProvider(DataHome.open(tmp_path / "home"), ModelOptions(random_weights=True))
    assert models.active_key(library, "clip") == "clip:ViT-B-32:random:224px"
    assert models.active_key(library, "dino") == "dino:vit_base_patch14_dinov2:random:224px:itae-off"


def test_the_command_line_warns_loudly_about_random_weights(tmp_path, monkeypatch, capsys):
    from photo_organizer.cli.main import main

    monkeypatch.setenv("PHOTO_ORGANIZER_RANDOM_WEIGHTS", "1")
    assert main(["--home", str(tmp_path / "home"), "models", "list"]) == 0
    assert "WARNING: PHOTO_ORGANIZER_RANDOM_WEIGHTS is set" in capsys.readouterr().err


def test_models_package_and_commands_import_without_torch():
    code = (
        "import sys\n"
        "import photo_organizer.models.registry, photo_organizer.models.weights\n"
        "import photo_organizer.models.loading, photo_organizer.embedding, photo_organizer.cli.models\n"
        "import photo_organizer.context, photo_organizer.environment\n"
        "heavy = [m for m in ('torch', 'open_clip', 'timm', 'torchvision') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
