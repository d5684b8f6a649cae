"""Deterministic, vectorised sample-data generator for huaxiang.

``generate(out_dir, customers=10_000, seed=42, end_date=date(2026, 6, 30), years=3)``
writes the source exports described by ``config/sources.yml`` to ``out_dir/landing``
and the answers (who is who, which rows are dirty) to ``out_dir/ground_truth``.
"""

from .generate import generate

__all__ = ["generate"]
