"""Evaluation harnesses on labelled folders (one sub-folder per class): metrics and runners."""
