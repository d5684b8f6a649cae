"""Connected components of an edge list in Python, for the benchmarks' evaluations (small
graphs read out of a warehouse; the pipeline's own components are SQL, int_identity_clusters)."""

from __future__ import annotations

from collections.abc import Iterable


def components(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Every node of `edges` -> the smallest node of its component (union-find, path halving)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in list(parent)}
