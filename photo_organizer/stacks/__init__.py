"""Stacks: bursts of near-identical shots and RAW + JPEG pairs shown as one tile, with a best shot."""
