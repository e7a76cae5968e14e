"""ITAE attention: equality with stock timm, the CLS-row surgery on planted tokens, registers,
settings, and the calibration valley finder."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from photo_organizer.errors import ModelError
from photo_organizer.models.itae import ITAESettings

# ---- settings (no torch) ---------------------------------------------------------------------


def test_key_suffix_names_source_and_threshold_only_when_active():
    assert ITAESettings().key_suffix() == "itae-off"
    assert ITAESettings(enabled=True).key_suffix() == "itae-off"  # not calibrated: a no-op
    assert ITAESettings(enabled=True, threshold=float("-inf")).key_suffix() == "itae-off"
    assert ITAESettings(enabled=False, threshold=1.2).key_suffix() == "itae-off"
    assert ITAESettings(enabled=True, source="k", threshold=1.234567).key_suffix() == "itae-k-1.2346"
    # the key names the θ actually used: the stored value is rounded the same way
    assert ITAESettings(enabled=True, threshold=1.234567).threshold == 1.2346


def test_settings_round_trip_through_json_storage(ctx):
    from photo_organizer.models.itae import load_settings, save_settings

    for settings in (
        ITAESettings(),
        ITAESettings(enabled=True, source="q", threshold=0.75, num_prefix_tokens=5, calibrated_for="vit_base"),
        ITAESettings(enabled=True, threshold=float("-inf")),
    ):
        save_settings(ctx.library, settings)
        assert load_settings(ctx.library) == settings
    assert ITAESettings.from_setting(None) == ITAESettings()


def test_settings_refuse_unknown_source_and_drop_theta_of_another_model():
    with pytest.raises(ModelError):
        ITAESettings(source="x")
    settings = ITAESettings(enabled=True, threshold=2.0, calibrated_for="vit_base_patch14_dinov2")
    assert settings.for_model("vit_base_patch14_dinov2") is settings
    assert not settings.for_model("vit_small_patch14_dinov2").active


def test_importing_itae_and_calibration_does_not_import_torch():
    code = (
        "import sys; import photo_organizer.models.itae, photo_organizer.itae_calibration, "
        "photo_organizer.cli.itae, photo_organizer.cli.eval_clustering; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---- attention (torch, tiny configs) ---------------------------------------------------------

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def timm_module():
    from photo_organizer.models.torch_compat import import_torch

    import_torch()
    import timm

    return timm


def tiny_dinov2(timm_module, name="vit_small_patch14_dinov2", fused=True, seed=0):
    torch.manual_seed(seed)
    model = timm_module.create_model(name, pretrained=False, depth=2, img_size=56, num_classes=0).eval()
    for block in model.blocks:
        block.attn.fused_attn = fused
    return model


def features(model, images):
    with torch.inference_mode():
        return model.forward_features(images)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "explicit"])
@pytest.mark.parametrize(
    "settings",
    [
        ITAESettings(),
        ITAESettings(enabled=True, threshold=float("-inf")),
        ITAESettings(enabled=True, threshold=None),
        ITAESettings(enabled=True, threshold=1e-6),  # finite, but below every norm: nothing flagged
    ],
    ids=["off", "minus-inf", "uncalibrated", "nothing-flagged"],
)
def test_no_op_settings_equal_stock_timm_exactly(timm_module, fused, settings):
    from photo_organizer.models.itae import apply_itae

    stock = tiny_dinov2(timm_module, fused=fused)
    engineered = apply_itae(tiny_dinov2(timm_module, fused=fused), settings)
    images = torch.randn(2, 3, 56, 56, generator=torch.Generator().manual_seed(1))
    assert torch.equal(features(stock, images), features(engineered, images))


def test_swap_keeps_parameter_names_and_pretrained_weights_load(timm_module):
    from photo_organizer.models.itae import apply_itae, itae_attention_class

    stock = tiny_dinov2(timm_module)
    engineered = apply_itae(tiny_dinov2(timm_module, seed=5), ITAESettings(enabled=True, threshold=3.0))
    assert isinstance(engineered.blocks[-1].attn, itae_attention_class())
    assert not isinstance(engineered.blocks[0].attn, itae_attention_class())
    engineered.load_state_dict(stock.state_dict(), strict=True)  # same names, same shapes
    assert engineered.state_dict().keys() == stock.state_dict().keys()


def planted_attention(num_prefix_tokens=1, fused=False):
    """A 4-head attention on 10 tokens where tokens 3 and 7 have V = 0 and large keys (sinks)."""
    from photo_organizer.models.itae import itae_attention_class

    dim, heads = 16, 4
    torch.manual_seed(3)
    attn = itae_attention_class()(dim, num_heads=heads, qkv_bias=True).eval()
    attn.fused_attn = fused
    with torch.no_grad():
        weight = attn.qkv.weight  # rows: q (0:16), k (16:32), v (32:48); columns: input dims
        weight[dim : 2 * dim, dim // 2 :] = 0  # keys read the first half of the input only
        weight[2 * dim :, : dim // 2] = 0  # values read the second half only
        attn.qkv.bias[2 * dim :] = 0
    x = torch.randn(2, 10, dim, generator=torch.Generator().manual_seed(4))
    planted = [3, 7]
    x[:, planted, dim // 2 :] = 0  # V exactly zero
    x[:, planted, : dim // 2] *= 6  # strong keys: they would soak up attention
    return attn, x, planted


def reference_attention(attn, x):
    """q, k, v and stock logits computed by hand from the module's weights."""
    batch, tokens, dim = x.shape
    qkv = (x @ attn.qkv.weight.T + attn.qkv.bias).reshape(batch, tokens, 3, attn.num_heads, -1)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)
    return q, k, v, (q * attn.scale) @ k.transpose(-2, -1)


def test_planted_artifact_keys_get_the_cls_row_minimum(timm_module):
    from photo_organizer.models.itae import artifact_mask, engineered_cls_logits, project_qkv, token_norms

    attn, x, planted = planted_attention()
    with torch.no_grad():
        q, k, v = project_qkv(attn, x)
        artifacts = artifact_mask(token_norms(v), 1e-3, num_prefix_tokens=1)
        logits = engineered_cls_logits(q, k, artifacts, attn.scale, num_prefix_tokens=1)
        _, _, _, stock_logits = reference_attention(attn, x)
    assert artifacts.nonzero()[:, 1].unique().tolist() == planted
    row_minimum = stock_logits[:, :, 0, 1:].amin(dim=-1)  # (B, H), over patch keys
    for token in planted:  # the two sides come from matrix products of different shapes: not bit for bit
        torch.testing.assert_close(logits[:, :, 0, token], row_minimum)
    kept = [i for i in range(10) if i not in planted]
    torch.testing.assert_close(logits[:, :, 0, kept], stock_logits[:, :, 0, kept])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "explicit"])
def test_planted_tokens_change_only_the_cls_output(timm_module, fused):
    from photo_organizer.models.itae import _timm_attention_base

    attn, x, planted = planted_attention(fused=fused)
    attn.configure(ITAESettings(enabled=True, threshold=1e-3))
    stock = _timm_attention_base().forward
    with torch.no_grad():
        engineered_out = attn(x)
        stock_out = stock(attn, x)
        q, k, v, logits = reference_attention(attn, x)
        cls_logits = logits[:, :, 0].clone()
        cls_logits[:, :, planted] = cls_logits[:, :, 1:].amin(dim=-1, keepdim=True)
        cls_mixed = (cls_logits.softmax(-1)[:, :, None] @ v).squeeze(2).reshape(2, -1)
        expected_cls = attn.proj(cls_mixed)
    torch.testing.assert_close(engineered_out[:, 1:], stock_out[:, 1:])  # patch rows unchanged (own qkv path)
    torch.testing.assert_close(engineered_out[:, 0], expected_cls)
    assert (engineered_out[:, 0] - stock_out[:, 0]).abs().max() > 1e-3


def test_registers_are_prefix_tokens_never_artifacts_and_outside_the_minimum(timm_module):
    from photo_organizer.models.itae import apply_itae, artifact_mask, engineered_cls_logits

    model = tiny_dinov2(timm_module, "vit_small_patch14_reg4_dinov2")
    apply_itae(model, ITAESettings(enabled=True, threshold=1e9))  # every patch token flagged
    assert model.blocks[-1].attn.itae_settings.num_prefix_tokens == 5

    norms = torch.zeros(1, 8)  # everything at or below θ, including the prefix
    mask = artifact_mask(norms, 0.0, num_prefix_tokens=5)
    assert mask[0].tolist() == [False] * 5 + [True] * 3
    q = torch.ones(1, 1, 8, 1)
    k = torch.tensor([0.0, -9.0, 5.0, 5.0, 5.0, 2.0, 3.0, 4.0]).reshape(1, 1, 8, 1)
    logits = engineered_cls_logits(q, k, mask, scale=1.0, num_prefix_tokens=5)
    # register keys keep their logits (-9 too); patch keys take the patch minimum 2, not -9
    assert logits.flatten().tolist() == [0.0, -9.0, 5.0, 5.0, 5.0, 2.0, 2.0, 2.0]

    stock = tiny_dinov2(timm_module, "vit_small_patch14_reg4_dinov2")
    images = torch.randn(2, 3, 56, 56, generator=torch.Generator().manual_seed(2))
    engineered_tokens, stock_tokens = features(model, images), features(stock, images)
    torch.testing.assert_close(engineered_tokens[:, 1:], stock_tokens[:, 1:])  # registers and patches
    assert not torch.equal(engineered_tokens[:, 0], stock_tokens[:, 0])


def test_last_block_norms_match_the_value_projection(timm_module):
    from photo_organizer.models.itae import apply_itae, last_block_norms

    model = tiny_dinov2(timm_module, "vit_small_patch14_reg4_dinov2")
    images = torch.randn(3, 3, 56, 56, generator=torch.Generator().manual_seed(6))
    captured = []
    model.blocks[-1].norm1.register_forward_hook(lambda module, args, out: captured.append(out))
    norms = last_block_norms(model, images, source="v")
    attn = model.blocks[-1].attn
    with torch.inference_mode():
        values = captured[0] @ attn.qkv.weight[2 * attn.attn_dim :].T + attn.qkv.bias[2 * attn.attn_dim :]
    assert norms.shape == (3, 16)  # 4x4 patches, 5 prefix tokens removed
    torch.testing.assert_close(norms, values[:, 5:].norm(dim=-1))
    # the same numbers after ITAE is applied: it does not change the last block's input
    apply_itae(model, ITAESettings(enabled=True, threshold=float(norms.median())))
    torch.testing.assert_close(last_block_norms(model, images, source="v"), norms)


# ---- calibration ------------------------------------------------------------------------------


def bimodal_norms(rng, artifact_fraction=0.02, size=60_000):
    artifacts = rng.normal(math.log(0.5), 0.25, int(size * artifact_fraction))
    normal = rng.normal(math.log(8.0), 0.3, size - artifacts.size)
    return np.exp(np.concatenate([artifacts, normal]))


@pytest.mark.parametrize("method", ["gmm", "otsu"])
def test_calibration_finds_the_valley_of_a_bimodal_sample(method):
    from photo_organizer.itae_calibration import find_valley

    norms = bimodal_norms(np.random.default_rng(0))
    valley = find_valley(norms, method=method)
    assert valley.bimodal, valley.reason
    assert 0.9 < valley.threshold < 4.5  # between the modes (0.5 and 8), in the gap
    assert valley.low_mode == pytest.approx(0.5, rel=0.1)
    assert valley.high_mode == pytest.approx(8.0, rel=0.1)
    assert valley.fraction_flagged == pytest.approx(0.02, abs=0.002)


@pytest.mark.parametrize(
    "sample",
    [
        lambda rng: np.exp(rng.normal(2.0, 0.4, 50_000)),  # one log-normal mode
        lambda rng: np.exp(rng.standard_t(3, 50_000) * 0.3 + 2.0),  # heavy tails, one mode
        lambda rng: np.exp(rng.gamma(2.0, 0.5, 50_000)),  # skewed, one mode
    ],
    ids=["lognormal", "heavy-tailed", "skewed"],
)
def test_calibration_says_not_bimodal_on_one_mode(sample):
    from photo_organizer.itae_calibration import find_valley

    valley = find_valley(sample(np.random.default_rng(1)))
    assert not valley.bimodal
    assert valley.threshold is None
    assert valley.fraction_flagged == 0.0
    assert "not bimodal" in valley.reason


# ---- commands (real ViT-S/14 architecture, random weights, a few generated photos) -------------


@pytest.fixture
def indexed_library(tmp_path, home, monkeypatch):
    from photo_organizer.cli.main import main
    from photo_organizer.sample_photos import make_labelled_folder

    monkeypatch.setenv("PHOTO_ORGANIZER_RANDOM_WEIGHTS", "1")
    photos = make_labelled_folder(tmp_path / "photos", per_class=2, size=(160, 120), classes=["beach", "snow", "night"])
    assert main(["add", str(tmp_path / "photos")]) == 0
    assert main(["index", "--no-embeddings", "--quiet"]) == 0
    assert main(["models", "use", "vit_small_patch14_dinov2"]) == 0
    return photos


def run_json(capsys, *argv):
    import json

    from photo_organizer.cli.main import main

    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_calibrate_stores_what_it_found_and_plots(indexed_library, tmp_path, capsys):
    plot = tmp_path / "norms.png"
    summary = run_json(capsys, "itae", "calibrate", "--sample", "4", "--plot", str(plot), "--json")
    assert summary["model"] == "vit_small_patch14_dinov2" and summary["photos"] == 4
    assert summary["tokens"] == 4 * 256  # 16x16 patches at 224 px
    assert plot.stat().st_size > 0 and summary["plot"] == str(plot)
    status = run_json(capsys, "itae", "status", "--json")
    assert status["calibration"]["threshold"] == summary["threshold"]
    assert status["settings"]["calibrated_for"] == "vit_small_patch14_dinov2"
    assert status["settings"]["threshold"] == summary["threshold"]  # None when not bimodal
    assert status["active"] == summary["bimodal"]


def test_set_enable_disable_change_the_model_key(indexed_library, home, capsys):
    from photo_organizer.cli.main import main
    from photo_organizer.context import AppContext
    from photo_organizer.models.registry import DINO
    from tests.conftest import RANDOM_WEIGHTS

    def dino_key():
        ctx = AppContext.open(home, RANDOM_WEIGHTS)
        try:
            return ctx.models.active_key(ctx.library, DINO)
        finally:
            ctx.close()

    assert dino_key().endswith(":itae-off")
    assert main(["itae", "set", "--threshold", "2.5", "--source", "k"]) == 0
    assert dino_key().endswith(":itae-off")  # θ set, ITAE still off
    assert main(["itae", "enable"]) == 0
    assert dino_key().endswith(":itae-k-2.5")
    assert run_json(capsys, "itae", "status", "--json")["active"]
    assert main(["itae", "disable"]) == 0
    assert dino_key().endswith(":itae-off")
    assert main(["itae", "set", "--threshold", "many"]) == 1


def test_inspect_draws_the_artifact_patches(indexed_library, tmp_path, capsys):
    from PIL import Image

    from photo_organizer.cli.main import main

    out = tmp_path / "inspect.png"
    assert main(["itae", "inspect", str(indexed_library[0]), "--out", str(out), "--threshold", "1e9"]) == 0
    assert "256 of 256 patches" in capsys.readouterr().out  # every patch is at or below 1e9
    with Image.open(out) as picture:
        assert picture.width > 2 * 224
    assert main(["itae", "inspect", str(indexed_library[0]), "--out", str(out)]) == 0
    assert "No θ for source v" in capsys.readouterr().out


def test_calibrate_on_an_empty_library_says_what_to_do_before_loading_a_model(home, capsys):
    from photo_organizer.cli.main import main

    assert main(["itae", "calibrate"]) == 1  # no weights installed either: the library check comes first
    assert "No photos are indexed yet" in capsys.readouterr().err


def test_the_window_s_calibration_job_loads_the_context_s_model_and_stores_theta(indexed_library, home):
    from photo_organizer.app.library_service import LibraryService
    from photo_organizer.context import AppContext
    from photo_organizer.models.itae import load_settings
    from photo_organizer.progress import drain
    from tests.conftest import RANDOM_WEIGHTS

    ctx = AppContext.open(home, RANDOM_WEIGHTS)
    try:
        calibration = drain(LibraryService(ctx).calibration_job()(ctx.library))
        assert calibration.photos == 6
        assert "vit_small_patch14_dinov2" in LibraryService.describe_calibration(calibration)
        assert load_settings(ctx.library).calibrated_for == "vit_small_patch14_dinov2"
    finally:
        ctx.close()
