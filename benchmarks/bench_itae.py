"""Benchmark: the cost of ITAE, model forward only, real DINOv2 architecture (random weights).

    python benchmarks/bench_itae.py --model vit_base_patch14_dinov2 --batch 16 --batches 4

Prints images/s of stock timm and of ITAE with a θ that flags about 2% of the patch tokens
(the median-based θ would change nothing about the cost: the engineered CLS row is computed
for every image either way), and the ratio. ITAE adds one explicit CLS-row attention and the
token norms in the last block; the other rows keep timm's fused attention.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_organizer.environment import model_options_from_environment  # noqa: E402
from photo_organizer.models.itae import ITAESettings, apply_itae, last_block_norms  # noqa: E402
from photo_organizer.models.loading import _model_with_random_weights  # noqa: E402
from photo_organizer.models.registry import get_spec  # noqa: E402
from photo_organizer.models.runtime import choose_device  # noqa: E402


def images_per_second(model, batch, batches: int) -> tuple[float, float]:
    """(images per wall-clock second, images per CPU second of this process)."""
    import torch

    with torch.inference_mode():
        model(batch)  # warm-up
        if batch.is_cuda:
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(batches):
            model(batch)
        if batch.is_cuda:
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    images = batches * batch.shape[0]
    return images / wall, images / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vit_small_patch14_dinov2")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved stock/ITAE measurements")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    args = parser.parse_args()

    import torch

    spec = get_spec(args.model)
    device, dtype = choose_device(model_options_from_environment().device)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = _model_with_random_weights(spec).to(device=device, dtype=dtype).eval()
    batch = torch.randn(args.batch, 3, spec.input_size, spec.input_size, generator=torch.Generator().manual_seed(0))
    batch = batch.to(device=device, dtype=dtype)
    theta = float(last_block_norms(model, batch).flatten().quantile(0.02))
    on, off = ITAESettings(enabled=True, threshold=theta), ITAESettings()
    stock_rates, itae_rates = [], []
    for _ in range(args.rounds):  # interleaved, best of each: a shared machine drifts
        stock_rates.append(images_per_second(apply_itae(model, off), batch, args.batches))
        itae_rates.append(images_per_second(apply_itae(model, on), batch, args.batches))
    stock, engineered = max(rate for rate, _ in stock_rates), max(rate for rate, _ in itae_rates)
    stock_cpu, itae_cpu = max(rate for _, rate in stock_rates), max(rate for _, rate in itae_rates)
    print(
        f"{spec.name} at {spec.input_size} px on {device} ({dtype}), batch {args.batch}, "
        f"{args.batches} batches, best of {args.rounds} interleaved rounds"
    )
    print(f"stock timm: {stock:.2f} img/s ({stock_cpu:.2f} per CPU second)")
    print(f"ITAE (θ = {theta:.4g}, ~2% flagged): {engineered:.2f} img/s ({itae_cpu:.2f} per CPU second)")
    print(f"ITAE / stock throughput: {engineered / stock:.3f} wall-clock, {itae_cpu / stock_cpu:.3f} CPU time")


if __name__ == "__main__":
    main()
