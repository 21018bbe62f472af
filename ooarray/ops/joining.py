"""Joining and splitting: concatenate, stack and its variants, block, split."""
