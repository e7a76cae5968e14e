"""CLIP's byte-pair tokenizer without torch, for the light text-search path.

The same algorithm and text cleaning as open_clip's ``SimpleTokenizer`` (OpenAI CLIP's
tokenizer; ``clean='lower'``), returning numpy arrays instead of torch tensors so a search
process never imports torch. ``verify_against`` checks it token for token against the
model's own tokenizer when the ONNX text tower is exported.
"""

from __future__ import annotations

import gzip
import html
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

VOCAB_FILE_NAME = "bpe_simple_vocab_16e6.txt.gz"
START_TOKEN = "<start_of_text>"
END_TOKEN = "<end_of_text>"
_MERGE_COUNT = 49152 - 256 - 2


@lru_cache
def _bytes_to_unicode() -> dict[int, str]:
    """Reversible map from bytes to printable characters (the BPE works on these)."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(code) for code in codes)))


def _clean(text: str) -> str:
    import ftfy

    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    return " ".join(text.split()).strip().lower()


class ClipTokenizer:
    """Text to token ids for CLIP text towers that use OpenAI's BPE vocabulary."""

    def __init__(self, vocab_path: Path, context_length: int = 77) -> None:
        import regex

        merges = gzip.open(vocab_path).read().decode("utf-8").split("\n")[1 : _MERGE_COUNT + 1]
        pairs = [tuple(merge.split()) for merge in merges]
        vocab = list(_bytes_to_unicode().values())
        vocab = vocab + [symbol + "</w>" for symbol in vocab]
        vocab.extend("".join(pair) for pair in pairs)
        vocab.extend([START_TOKEN, END_TOKEN])
        self.encoder = {token: index for index, token in enumerate(vocab)}
        self.bpe_ranks = {pair: rank for rank, pair in enumerate(pairs)}
        self.start_id = self.encoder[START_TOKEN]
        self.end_id = self.encoder[END_TOKEN]
        self.context_length = context_length
        self._byte_encoder = _bytes_to_unicode()
        self._cache: dict[str, list[str]] = {START_TOKEN: [START_TOKEN], END_TOKEN: [END_TOKEN]}
        self._pattern = regex.compile(
            rf"{START_TOKEN}|{END_TOKEN}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+",
            regex.IGNORECASE,
        )

    def _bpe(self, token: str) -> list[str]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            candidates = [(self.bpe_ranks.get(pair, np.inf), i) for i, pair in enumerate(zip(word, word[1:]))]
            rank, position = min(candidates)
            if rank == np.inf:
                break
            first, second = word[position], word[position + 1]
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self._cache[token] = word
        return word

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self._pattern.findall(_clean(text)):
            symbols = "".join(self._byte_encoder[byte] for byte in piece.encode("utf-8"))
            ids.extend(self.encoder[symbol] for symbol in self._bpe(symbols))
        return ids

    def token_rows(self, texts: Sequence[str]) -> list[list[int]]:
        """Start token, text tokens, end token; cut to the context length like open_clip."""
        rows = []
        for text in texts:
            row = [self.start_id, *self.encode(text), self.end_id]
            if len(row) > self.context_length:
                row = row[: self.context_length]
                row[-1] = self.end_id
            rows.append(row)
        return rows

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """(n, L) int64 token ids, zero-padded to the longest text only (not to 77).

        The CLIP text tower is causal and pools at the end token, so the padding after it
        never changes the result: short queries cost a few tokens, not the full context.
        """
        rows = self.token_rows(texts)
        tokens = np.zeros((len(rows), max(len(row) for row in rows)), dtype=np.int64)
        for i, row in enumerate(rows):
            tokens[i, : len(row)] = row
        return tokens


def verify_against(tokenizer: ClipTokenizer, reference: object, texts: Sequence[str]) -> list[str]:
    """The texts on which ``tokenizer`` disagrees with ``reference`` (open_clip's tokenizer)."""
    disagreeing = []
    for text in texts:
        expected = reference([text])[0].tolist()  # type: ignore[operator]
        ours = tokenizer([text])[0].tolist()
        if expected[: len(ours)] != ours or any(expected[len(ours) :]):
            disagreeing.append(text)
    return disagreeing
