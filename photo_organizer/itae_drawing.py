"""Pictures for ITAE, drawn with Pillow alone: the calibration histogram and a photo with its
artifact patches marked. (Pillow's default font has no Greek letters: the pictures say
"threshold", not theta.)"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from photo_organizer.itae_calibration import Inspection, Valley

BACKGROUND = (255, 255, 255)
INK = (40, 40, 40)
BARS = (90, 120, 170)
THRESHOLD_COLOUR = (215, 40, 40)
MODE_COLOUR = (40, 150, 80)
# dark blue -> teal -> yellow, for the norm heat map
HEAT_STOPS = np.array([[30, 30, 110], [30, 140, 140], [250, 230, 60]], dtype=np.float64)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def histogram_png(norms: np.ndarray, valley: Valley, path: str | Path, width: int = 900, height: int = 420) -> Path:
    """Histogram of log token norms (log-scaled counts, so a 2% mode shows), θ and the modes."""
    logs = np.log10(np.maximum(np.asarray(norms, dtype=np.float64).ravel(), 1e-12))
    low, high = np.quantile(logs, [0.0001, 0.9999])
    high = max(high, low + 1e-6)
    counts, edges = np.histogram(logs, bins=120, range=(low, high))
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 60, width - 20, 40, height - 50

    def x_of(log_value: float) -> float:
        return left + (log_value - low) / (high - low) * (right - left)

    heights = np.log1p(counts) / max(np.log1p(counts).max(), 1e-9)
    bar_width = (right - left) / counts.size
    for index, share in enumerate(heights):
        x0 = left + index * bar_width
        draw.rectangle([x0, bottom - share * (bottom - top), x0 + bar_width - 1, bottom], fill=BARS)
    draw.line([left, bottom, right, bottom], fill=INK)
    for tick in np.linspace(low, high, 6):
        draw.line([x_of(tick), bottom, x_of(tick), bottom + 5], fill=INK)
        draw.text((x_of(tick), bottom + 8), f"{10 ** tick:.3g}", fill=INK, anchor="ma", font=_font(13))
    for mode in (valley.low_mode, valley.high_mode):
        x = x_of(math.log10(mode))
        if left <= x <= right:
            draw.line([x, top, x, bottom], fill=MODE_COLOUR, width=1)
    if valley.threshold is not None:
        x = x_of(math.log10(valley.threshold))
        draw.line([x, top, x, bottom], fill=THRESHOLD_COLOUR, width=2)
    title = (
        f"threshold {valley.threshold:.4g}, {valley.fraction_flagged:.2%} of {valley.tokens} tokens flagged"
        if valley.threshold is not None
        else valley.reason
    )
    draw.text((left, 12), f"last-block patch-token norms (log scale): {title}", fill=INK, font=_font(14))
    draw.text(((left + right) / 2, height - 20), "token norm", fill=INK, anchor="ma", font=_font(13))
    return _save(image, path)


def _heat_colours(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] to RGB along HEAT_STOPS."""
    position = np.clip(values, 0, 1) * (len(HEAT_STOPS) - 1)
    lower = np.floor(position).astype(int).clip(0, len(HEAT_STOPS) - 2)
    share = (position - lower)[..., None]
    return (HEAT_STOPS[lower] * (1 - share) + HEAT_STOPS[lower + 1] * share).round().astype(np.uint8)


def inspection_png(inspection: Inspection, path: str | Path, scale: int = 3) -> Path:
    """The photo as the model saw it with artifact patches marked, beside a norm heat map."""
    view = inspection.view.resize((inspection.view.width * scale, inspection.view.height * scale), Image.Resampling.BICUBIC)
    rows, cols = inspection.norms.shape
    cell_w, cell_h = view.width / cols, view.height / rows
    flagged = inspection.flagged

    marked = view.convert("RGBA")
    overlay = Image.new("RGBA", marked.size, (0, 0, 0, 0))
    ink = ImageDraw.Draw(overlay)
    for row, col in zip(*np.nonzero(flagged)):
        box = [col * cell_w, row * cell_h, (col + 1) * cell_w - 1, (row + 1) * cell_h - 1]
        ink.rectangle(box, fill=(*THRESHOLD_COLOUR, 70), outline=(*THRESHOLD_COLOUR, 255), width=2)
    marked = Image.alpha_composite(marked, overlay).convert("RGB")

    logs = np.log(np.maximum(inspection.norms, 1e-12))
    spread = max(logs.max() - logs.min(), 1e-9)
    heat = Image.fromarray(_heat_colours((logs - logs.min()) / spread)).resize(view.size, Image.Resampling.NEAREST)
    heat_ink = ImageDraw.Draw(heat)
    for row, col in zip(*np.nonzero(flagged)):
        box = [col * cell_w, row * cell_h, (col + 1) * cell_w - 1, (row + 1) * cell_h - 1]
        heat_ink.rectangle(box, outline=THRESHOLD_COLOUR, width=2)

    caption_height = 44
    sheet = Image.new("RGB", (view.width * 2 + 10, view.height + caption_height), BACKGROUND)
    sheet.paste(marked, (0, 0))
    sheet.paste(heat, (view.width + 10, 0))
    threshold = f"threshold {inspection.threshold:.4g}" if inspection.threshold is not None else "threshold not calibrated"
    caption = (
        f"{threshold}, source {inspection.source}: {int(flagged.sum())} of {flagged.size} patches flagged; "
        f"norms {inspection.norms.min():.3g} to {inspection.norms.max():.3g} (right: log-norm map, dark = low)"
    )
    ImageDraw.Draw(sheet).text((8, view.height + 12), caption, fill=INK, font=_font(14))
    return _save(sheet, path)


def _save(image: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path
