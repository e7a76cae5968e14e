"""The CLIP text tower cut to the query's length: a fast torch encoder and the ONNX export.

open_clip's ``encode_text`` always runs the full 77-token context (about 5.8 GFLOP for ViT-B/32,
some 50 ms here). The text transformer is causal and pools at the end-of-text token, so every
position after that token is irrelevant: running only the query's own tokens gives the same
vector (checked against ``encode_text`` to ~2e-7) at a fraction of the cost (a 7-token query
is 11x fewer FLOPs).

``TruncatedTextTower`` is that forward as a module with an explicit attention, so that the
ONNX export keeps the sequence length dynamic (``nn.MultiheadAttention`` bakes it in).
``export_text_tower`` writes it under the data home with the tokenizer vocabulary, and keeps it
only when ONNX Runtime and our torch-free tokenizer both reproduce the torch model.

This module imports torch inside its functions only; call it from code that has a model.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from photo_organizer.errors import ModelError
from photo_organizer.search.clip_tokenizer import VOCAB_FILE_NAME, ClipTokenizer, verify_against

MODEL_FILE = "text_tower.onnx"
WEIGHTS_FILE = "text_tower.weights"  # external data: a session opens 3x faster than from one protobuf
META_FILE = "meta.json"
FAILED_FILE = "export_failed.json"
# A recorded failure is retried once the disk has this much more free space (a full disk is
# the usual cause), or after this long (a newer onnx/torch, a fixed file system...).
RETRY_WHEN_FREED_BYTES = 256 * 1024**2
RETRY_AFTER_S = 7 * 24 * 3600
EXPORT_TOLERANCE = 1e-4  # max |difference| of unit vectors; ORT fp32 matched torch to ~2e-7
PROBE_TEXTS = (
    "a dog in the snow",
    "x",
    "Café crème brûlée, 3 cups!",
    "two children playing on a beach at sunset with a red kite " * 8,
    "東京の夜景",
    "a photo of my receipts from 2023",
)


def supports_truncation(model: Any) -> bool:
    """Only a causal open_clip text tower pooled at the end token may be cut to the query."""
    return (
        hasattr(model, "transformer")
        and hasattr(model, "token_embedding")
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) == "argmax"
    )


def _truncated_module(model: Any) -> Any:
    torch = _torch()
    functional = torch.nn.functional

    def attention(block: Any, x: Any, mask: Any) -> Any:
        mha = block.attn
        qkv = functional.linear(x, mha.in_proj_weight, mha.in_proj_bias)
        qkv = qkv.reshape(x.shape[0], x.shape[1], 3, mha.num_heads, -1).permute(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        head_dim = mha.embed_dim // mha.num_heads
        logits = query @ key.transpose(-1, -2) * (1.0 / math.sqrt(head_dim)) + mask
        mixed = (logits.softmax(-1) @ value).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return mha.out_proj(mixed)

    class TruncatedTextTower(torch.nn.Module):
        """open_clip ``encode_text(normalize=True)`` over only the tokens given."""

        def __init__(self, clip: Any) -> None:
            super().__init__()
            self.clip = clip

        def forward(self, tokens: Any) -> Any:
            clip = self.clip
            length = tokens.shape[1]
            mask = clip.attn_mask[:length, :length].to(clip.positional_embedding.dtype)
            x = clip.token_embedding(tokens) + clip.positional_embedding[:length]
            for block in clip.transformer.resblocks:
                x = x + block.ls_1(attention(block, block.ln_1(x), mask))
                x = x + block.ls_2(block.mlp(block.ln_2(x)))
            x = clip.ln_final(x)
            x = x[torch.arange(x.shape[0]), tokens.argmax(-1)]
            if isinstance(clip.text_projection, torch.nn.Linear):
                x = clip.text_projection(x)
            elif clip.text_projection is not None:
                x = x @ clip.text_projection
            return functional.normalize(x.float(), dim=-1)

    _check_blocks(model)
    return TruncatedTextTower(model).eval()


def _check_blocks(model: Any) -> None:
    for block in model.transformer.resblocks:
        if not hasattr(block, "attn") or not hasattr(block.attn, "in_proj_weight") or hasattr(block, "ln_attn"):
            raise ModelError("This CLIP text tower has a block layout the fast text path does not know.")


def _torch() -> Any:
    from photo_organizer.models.torch_compat import import_torch

    return import_torch()


class TruncatedTorchTextEncoder:
    """Warm in-process text encoding (the GUI): the loaded CLIP model, query-length tokens.

    ``clip_encoder`` is the models package's ClipEncoder (``.model``, ``.model_key``,
    ``.device``); the tokenizer is ours, so padding stops at the longest query.
    """

    def __init__(self, clip_encoder: Any, tokenizer: ClipTokenizer) -> None:
        self.model_key = clip_encoder.model_key
        self.dim = clip_encoder.dim
        self._device = clip_encoder.device
        self._tokenizer = tokenizer
        self._tower = _truncated_module(clip_encoder.model)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        torch = _torch()
        tokens = torch.from_numpy(self._tokenizer(texts)).to(self._device)
        with torch.inference_mode():
            return self._tower(tokens).cpu().numpy().astype(np.float32)


def open_clip_vocab_path() -> Path:
    """The BPE vocabulary shipped inside open_clip (found without importing open_clip)."""
    import importlib.util

    spec = importlib.util.find_spec("open_clip")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / VOCAB_FILE_NAME
        if candidate.exists():
            return candidate
    raise ModelError("open_clip's tokenizer vocabulary is missing; reinstall open_clip_torch.")


def export_text_tower(clip_encoder: Any, folder: Path) -> dict[str, Any]:
    """Export, verify and install the ONNX text tower of ``clip_encoder`` in ``folder``.

    Returns the metadata written (the measured max difference included). On any failure the
    folder is left without a model and ``export_failed.json`` records why, so callers do not
    retry on every search (see ``recent_export_failure``); raises ModelError.
    """
    files = (WEIGHTS_FILE, MODEL_FILE, VOCAB_FILE_NAME, META_FILE)
    return install_export(folder, "text", files, FAILED_FILE, lambda staging: _export_and_verify(clip_encoder, staging))


def install_export(
    folder: Path, tower: str, files: tuple[str, ...], failed_file: str, export: Callable[[Path], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``export`` into a staging folder and move its ``files`` into ``folder`` once it
    succeeded: never half an export in place. A failure is recorded in ``failed_file`` (see
    ``recent_export_failure``) and raised as ModelError."""
    staging = folder / f"{tower}-staging"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        meta = export(staging)
        for name in files:
            (staging / name).replace(folder / name)
        (folder / failed_file).unlink(missing_ok=True)
        return meta
    except Exception as error:  # the export is an optimisation: record, report, go on without it
        shutil.rmtree(staging, ignore_errors=True)  # first: free the space a full disk needs for the record
        record_export_failure(folder, error, failed_file)
        if isinstance(error, ModelError):
            raise
        raise ModelError(f"Exporting the CLIP {tower} tower to ONNX failed: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def record_export_failure(folder: Path, error: BaseException, name: str = FAILED_FILE) -> None:
    """Write the failure record ``name`` whole or not at all: never an empty marker (the disk may be full)."""
    record = {"error": str(error)[:2000], "failed_at": time.time(), "free_bytes": _free_bytes(folder)}
    partial = folder / (name + ".partial")
    try:
        partial.write_text(json.dumps(record))
        partial.replace(folder / name)
    except OSError:  # no record: the next run simply tries again
        for leftover in (partial, folder / name):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def recent_export_failure(folder: Path, name: str = FAILED_FILE) -> str | None:
    """Why the last export failed, while a retry is not due yet; None when one should be tried.

    Due: no record or an unreadable one (an old empty marker), more free space than at the
    failure, or a week later. The folder is per CLIP model key, so a new model always tries.
    """
    path = folder / name
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("failed_at"), (int, float)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    if time.time() - record["failed_at"] > RETRY_AFTER_S:
        return None
    free_then, free_now = record.get("free_bytes"), _free_bytes(folder)
    if isinstance(free_then, int) and free_now is not None and free_now >= free_then + RETRY_WHEN_FREED_BYTES:
        return None
    return str(record.get("error", "unknown error"))


def _export_and_verify(clip_encoder: Any, staging: Path) -> dict[str, Any]:
    torch = _torch()
    model = clip_encoder.model
    if not supports_truncation(model):
        raise ModelError("This CLIP model's text tower cannot be cut to the query length.")
    context_length = int(model.attn_mask.shape[0])
    import open_clip

    reference_tokenizer = open_clip.get_tokenizer(clip_encoder.spec.architecture)
    shutil.copyfile(open_clip_vocab_path(), staging / VOCAB_FILE_NAME)
    tokenizer = ClipTokenizer(staging / VOCAB_FILE_NAME, context_length)
    disagreeing = verify_against(tokenizer, reference_tokenizer, PROBE_TEXTS)
    if disagreeing:
        raise ModelError(f"The light tokenizer disagrees with the model's on {disagreeing[0]!r}.")
    cpu_model = cpu_float_copy(model)
    tower = _truncated_module(cpu_model)
    example = torch.from_numpy(tokenizer(["a photo", "a dog in the snow"]))
    export_onnx(
        tower,
        example,
        staging / MODEL_FILE,
        WEIGHTS_FILE,
        input_names=["tokens"],
        output_names=["embedding"],
        dynamic_axes={"tokens": {0: "batch", 1: "length"}, "embedding": {0: "batch"}},
    )
    with torch.inference_mode():
        reference = cpu_model.encode_text(reference_tokenizer(list(PROBE_TEXTS)), normalize=True).numpy()
    difference = _max_difference(reference, tokenizer, staging / MODEL_FILE)
    if not difference <= EXPORT_TOLERANCE:
        raise ModelError(f"The ONNX text tower differs from torch by {difference:.2e} (> {EXPORT_TOLERANCE}).")
    meta = {
        "model_key": clip_encoder.model_key,
        "context_length": context_length,
        "dim": int(clip_encoder.dim),
        "max_difference": float(difference),
        "torch": torch.__version__,
    }
    (staging / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta


def export_onnx(
    module: Any, example: Any, model_path: Path, weights_file: str, *, input_names: list[str], **options: Any
) -> None:
    """Export ``module`` (TorchScript exporter, opset 17) with its weights in ``weights_file``
    beside the graph (a session opens 3x faster than from one big protobuf).

    The weights go from the module's own tensors straight to that file: the exporter builds a
    graph without them (no protobuf copy of the weights, nor a transposed copy from constant
    folding: ONNX Runtime folds those when it loads), and each graph input naming a parameter
    becomes an initializer stored outside. That keeps indexing's memory peak hundreds of MB
    lower than exporting with the weights and moving them out afterwards.
    """
    import onnx

    torch = _torch()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and indexing notes
        torch.onnx.export(
            module, (example,), str(model_path), input_names=input_names, opset_version=17, dynamo=False,
            export_params=False, do_constant_folding=False, **options,
        )
    model = onnx.load(str(model_path))
    tensors = {**dict(module.named_parameters()), **dict(module.named_buffers())}
    transposed = _weight_transposes(model, tensors)
    offset = 0
    with open(model_path.parent / weights_file, "wb") as out:
        for graph_input in [one for one in model.graph.input if one.name not in input_names]:
            if graph_input.name not in tensors:
                raise ModelError(f"The exported graph asks for {graph_input.name!r}, which the model does not have.")
            array = tensors[graph_input.name].detach().cpu().numpy()
            name = graph_input.name
            if name in transposed:  # stored transposed, as the graph uses it
                node = transposed[name]
                array = array.transpose(list(node.attribute[0].ints) if node.attribute else None)
                name = node.output[0]
                model.graph.node.remove(node)
            array = np.ascontiguousarray(array)
            out.write(array.data)
            initializer = onnx.TensorProto(
                name=name,
                data_type=onnx.helper.np_dtype_to_tensor_dtype(array.dtype),
                dims=array.shape,
                data_location=onnx.TensorProto.EXTERNAL,
            )
            for key, value in (("location", weights_file), ("offset", offset), ("length", array.nbytes)):
                initializer.external_data.add(key=key, value=str(value))
            offset += array.nbytes
            model.graph.initializer.append(initializer)
            model.graph.input.remove(graph_input)
    onnx.save_model(model, str(model_path))


def _weight_transposes(model: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    """Transpose nodes whose only input is a weight that nothing else reads: weight name -> node.
    Stored transposed, the runtime does not fold them into a second copy of the weights."""
    readers: dict[str, int] = {}
    for node in model.graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    return {
        node.input[0]: node
        for node in model.graph.node
        if node.op_type == "Transpose" and node.input[0] in tensors and readers[node.input[0]] == 1
    }


def cpu_float_copy(model: Any) -> Any:
    """The model on the CPU in float32: itself when it already is (a copy would double the
    memory at the peak of indexing), else a copy (the loaded one keeps serving its device)."""
    import copy

    if all(p.device.type == "cpu" and p.dtype == _torch().float32 for p in model.parameters()):
        return model.eval()
    return copy.deepcopy(model).to("cpu").float().eval()


def _max_difference(reference: np.ndarray, tokenizer: ClipTokenizer, model_path: Path) -> float:
    """Largest |ONNX Runtime on our tokens - open_clip encode_text on its own 77 tokens|."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    ours = session.run(None, {"tokens": tokenizer(list(PROBE_TEXTS))})[0]
    return float(np.abs(ours - reference).max())
