"""ITAE: inference-time attention engineering in the last block of a DINOv2 ViT.

Nakamura et al., ACCV 2024 (arXiv 2410.04801), as summarised in GUIDE section 2. Large DINOv2
models develop a few patch tokens with abnormal norms that soak up the CLS token's attention.
In the last block only, patch tokens whose norm in one projection (V by default, K or Q
selectable; all heads concatenated) is at or below a threshold θ are "artifacts". For each head,
the CLS query row's pre-softmax logit of every artifact key is replaced by that row's minimum
over patch keys. Everything else is unchanged, so patch outputs are bit-identical to stock timm
and only the CLS output (the clustering feature) moves.

Importing this module does not import torch: the timm subclass is built on first use.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from photo_organizer.errors import ModelError

if TYPE_CHECKING:
    import torch

SOURCES = ("v", "k", "q")
SETTING_KEY = "itae"  # library.get_setting(SETTING_KEY) holds ITAESettings.to_setting()
THRESHOLD_DIGITS = 5  # significant digits kept, so the model key names the exact θ in use


def round_threshold(value: float) -> float:
    """θ as stored and used: rounded to THRESHOLD_DIGITS significant digits (infinities kept)."""
    if math.isinf(value):
        return value
    return float(f"{value:.{THRESHOLD_DIGITS}g}")


@dataclass(frozen=True)
class ITAESettings:
    """What ITAE does; part of the DINOv2 model key.

    ``threshold`` None means "not calibrated yet": ITAE is then a no-op, like ``-inf``.
    ``num_prefix_tokens`` is used when the model does not say (timm ViTs do: 1, or 5 with
    registers). ``calibrated_for`` names the DINOv2 model θ was measured on; θ is not carried
    over to another model (see ``for_model``).
    """

    enabled: bool = False
    source: str = "v"
    threshold: float | None = None
    num_prefix_tokens: int = 1
    calibrated_for: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ModelError(f"ITAE source must be one of {', '.join(SOURCES)}, not {self.source!r}.")
        if self.num_prefix_tokens < 1:
            raise ModelError("ITAE needs at least one prefix token (the CLS token).")
        if self.threshold is not None:
            if math.isnan(self.threshold):
                raise ModelError("ITAE threshold must be a number, not NaN.")
            object.__setattr__(self, "threshold", round_threshold(float(self.threshold)))

    @property
    def active(self) -> bool:
        """True when the attention actually changes: enabled with a finite θ."""
        return self.enabled and self.threshold is not None and math.isfinite(self.threshold)

    def key_suffix(self) -> str:
        """"itae-off" whenever the output equals stock timm, else e.g. "itae-v-1.2345"."""
        if not self.active:
            return "itae-off"
        return f"itae-{self.source}-{self.threshold:.{THRESHOLD_DIGITS}g}"

    def for_model(self, model_name: str) -> "ITAESettings":
        """These settings for ``model_name``: a θ calibrated on another model is dropped (no-op)."""
        if self.calibrated_for is None or self.calibrated_for == model_name:
            return self
        return replace(self, threshold=None, calibrated_for=None)

    def to_setting(self) -> dict[str, Any]:
        """A JSON-able dict for ``library.set_setting(SETTING_KEY, ...)`` (infinities as strings)."""
        value = asdict(self)
        if self.threshold is not None and math.isinf(self.threshold):
            value["threshold"] = "-inf" if self.threshold < 0 else "inf"
        return value

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> "ITAESettings":
        """Settings from a stored dict; missing or unknown keys fall back to the defaults."""
        if not value:
            return cls()
        threshold = value.get("threshold")
        return cls(
            enabled=bool(value.get("enabled", False)),
            source=str(value.get("source", "v")),
            threshold=None if threshold is None else float(threshold),
            num_prefix_tokens=int(value.get("num_prefix_tokens", 1)),
            calibrated_for=value.get("calibrated_for"),
        )


def load_settings(library: Any) -> ITAESettings:
    """The library's ITAE settings (defaults when never set)."""
    return ITAESettings.from_setting(library.get_setting(SETTING_KEY))


def save_settings(library: Any, settings: ITAESettings) -> None:
    library.set_setting(SETTING_KEY, settings.to_setting())


# ---- torch part (built lazily) ---------------------------------------------------------------


def _timm_attention_base() -> type:
    from photo_organizer.models.torch_compat import import_torch

    import_torch()
    try:
        from timm.layers import Attention
    except ImportError:  # older timm 1.0.x
        from timm.models.vision_transformer import Attention
    return Attention


def project_qkv(attn: Any, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
    """q, k, v of a timm ``Attention`` as its forward computes them: (B, heads, N, head_dim)."""
    batch, tokens, _ = x.shape
    qkv = attn.qkv(x).reshape(batch, tokens, 3, attn.num_heads, attn.head_dim).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)
    return attn.q_norm(q), attn.k_norm(k), v


def token_norms(projection: "torch.Tensor") -> "torch.Tensor":
    """L2 norm of each token over all heads concatenated: (B, H, N, D) -> (B, N), in float32."""
    return projection.float().pow(2).sum(dim=(1, 3)).sqrt()


def artifact_mask(norms: "torch.Tensor", threshold: float, num_prefix_tokens: int) -> "torch.Tensor":
    """(B, N) bool: patch tokens with norm at or below θ; prefix tokens are never artifacts."""
    mask = norms <= threshold
    mask[:, :num_prefix_tokens] = False
    return mask


def engineered_cls_logits(
    q: "torch.Tensor", k: "torch.Tensor", artifacts: "torch.Tensor", scale: float, num_prefix_tokens: int
) -> "torch.Tensor":
    """The CLS query row's pre-softmax logits, artifact keys set to the row's patch-key minimum.

    q, k: (B, H, N, D); artifacts: (B, N) bool. Returns (B, H, 1, N). The minimum is per head
    and over patch keys only (prefix keys excluded); the arithmetic is timm's explicit path.
    """
    import torch

    logits = (q[:, :, :1] * scale) @ k.transpose(-2, -1)
    row_minimum = logits[..., num_prefix_tokens:].amin(dim=-1, keepdim=True)
    return torch.where(artifacts[:, None, None, :], row_minimum, logits)


@lru_cache(maxsize=1)
def itae_attention_class() -> type:
    """The timm ``Attention`` subclass with ITAE (same parameters, so weights load unchanged)."""
    base = _timm_attention_base()
    import torch
    import torch.nn.functional as F

    class ITAEAttention(base):  # type: ignore[misc, valid-type]
        """timm Attention whose CLS query row ignores artifact keys (see module docstring).

        Usable as ``attn_layer=`` (configure afterwards) or swapped in by ``apply_itae``.
        When ITAE is inactive, or a batch item has no artifact token, the output is exactly
        stock timm's (the parent's forward, or its own fused/explicit path for the other rows).
        """

        itae_settings: ITAESettings = ITAESettings()

        def configure(self, settings: ITAESettings) -> None:
            self.itae_settings = settings

        def forward(
            self, x: torch.Tensor, attn_mask: torch.Tensor | None = None, is_causal: bool = False
        ) -> torch.Tensor:
            settings = self.itae_settings
            if not settings.active:
                return super().forward(x, attn_mask=attn_mask, is_causal=is_causal)
            if attn_mask is not None or is_causal:
                raise ModelError("ITAE attention does not support attention masks (DINOv2 uses none).")
            batch, tokens, _ = x.shape
            gate = self.gate(x).sigmoid() if getattr(self, "gate", None) is not None else None
            q, k, v = project_qkv(self, x)
            norms = token_norms({"q": q, "k": k, "v": v}[settings.source])
            artifacts = artifact_mask(norms, settings.threshold, settings.num_prefix_tokens)
            out = self._stock_attention(q, k, v)
            logits = engineered_cls_logits(q, k, artifacts, self.scale, settings.num_prefix_tokens)
            cls_row = logits.softmax(dim=-1) @ v  # (B, H, 1, D)
            changed = artifacts.any(dim=1)[:, None, None, None]
            out = torch.cat([torch.where(changed, cls_row.to(out.dtype), out[:, :, :1]), out[:, :, 1:]], dim=2)
            out = out.transpose(1, 2).reshape(batch, tokens, -1)
            out = self.norm(out)
            if gate is not None:
                out = out * gate
            return self.proj_drop(self.proj(out))

        def _stock_attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            """Every row as stock timm computes it (fused or explicit, as the parent would)."""
            if self.fused_attn:
                return F.scaled_dot_product_attention(q, k, v)
            attn = (q * self.scale) @ k.transpose(-2, -1)
            return attn.softmax(dim=-1) @ v

    return ITAEAttention


def apply_itae(model: Any, settings: ITAESettings) -> Any:
    """Swap an ITAE attention (a copy of the last block's, same weights) into ``model.blocks[-1]``.

    The prefix-token count comes from the model when it says (timm ViTs: ``num_prefix_tokens``),
    else from the settings. Calling it again re-configures; inactive settings leave a module that
    runs the stock forward. Returns the model (changed in place).
    """
    cls = itae_attention_class()
    blocks = getattr(model, "blocks", None)
    if blocks is None or len(blocks) == 0:
        raise ModelError("ITAE needs a ViT with transformer blocks (model.blocks).")
    last = blocks[-1]
    prefix = int(getattr(model, "num_prefix_tokens", settings.num_prefix_tokens))
    if not isinstance(last.attn, cls):
        if not isinstance(last.attn, _timm_attention_base()):
            raise ModelError(f"ITAE supports timm Attention only, not {type(last.attn).__name__}.")
        swapped = copy.deepcopy(last.attn)
        swapped.__class__ = cls
        last.attn = swapped
    last.attn.configure(replace(settings, num_prefix_tokens=prefix))
    return model


@contextmanager
def recording_norms(model: Any, source: str = "v") -> Iterator[list["torch.Tensor"]]:
    """While active, every forward of ``model`` appends its last block's patch-token norms.

    Each entry is (B, num_patches) float32 on CPU: the L2 norm of each patch token's ``source``
    projection (all heads concatenated), prefix tokens removed, in timm's row-major patch
    order. The same with or without ITAE applied (ITAE does not change the block's input).
    """
    if source not in SOURCES:
        raise ModelError(f"ITAE source must be one of {', '.join(SOURCES)}, not {source!r}.")
    prefix = int(getattr(model, "num_prefix_tokens", 1))
    recorded: list[torch.Tensor] = []

    def record(module: Any, args: tuple[Any, ...]) -> None:
        q, k, v = project_qkv(module, args[0])
        recorded.append(token_norms({"q": q, "k": k, "v": v}[source])[:, prefix:].cpu())

    handle = model.blocks[-1].attn.register_forward_pre_hook(record)
    try:
        yield recorded
    finally:
        handle.remove()


def block_input_norms(model: Any, tokens: "torch.Tensor", source: str = "v") -> "torch.Tensor":
    """The last block's patch-token norms (as ``recording_norms`` records them) from the tokens
    entering that block: (B, num_patches) float32 on CPU."""
    import torch

    block = model.blocks[-1]
    prefix = int(getattr(model, "num_prefix_tokens", 1))
    with torch.inference_mode():
        q, k, v = project_qkv(block.attn, block.norm1(tokens))
        return token_norms({"q": q, "k": k, "v": v}[source])[:, prefix:].cpu()


def last_block_norms(model: Any, batch: "torch.Tensor", source: str = "v") -> "torch.Tensor":
    """The last block's patch-token norms of one batch (see ``recording_norms``)."""
    import torch

    with recording_norms(model, source) as recorded, torch.inference_mode():
        model.forward_features(batch)
    return recorded[0]
