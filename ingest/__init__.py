"""Monographs in, index out: load → parse sections → chunk → embed → index."""
