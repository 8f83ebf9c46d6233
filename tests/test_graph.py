"""Pipeline graph measures, checked against small graphs drawn by hand."""
from __future__ import annotations

from auditkit.readers.graph import graph_measures, pipeline_edges


def _e(block, up=(), down=()):
    return {"block": block, "upstream": list(up), "downstream": list(down)}


def test_diamond_plus_tail():
    # a -> b, a -> c, b -> d, c -> d, d -> e : depth 4 (a,b,d,e), widest level {b, c} = 2
    entries = [_e("a", down=["b", "c"]), _e("b", up=["a"], down=["d"]), _e("c", up=["a"]),
               _e("d", up=["b", "c"]), _e("e", up=["d"])]
    edges = pipeline_edges(entries)
    assert sorted((u, v) for u, v, _ in edges) == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")]
    m = graph_measures([e["block"] for e in entries], edges)
    assert (m["depth"], m["max_width"], m["n_edges"], m["n_roots"], m["n_leaves"]) == (4, 2, 5, 1, 1)
    assert not m["has_cycle"] and m["cycle"] == [] and m["n_dangling"] == 0


def test_union_of_up_and_downstream_is_deduplicated():
    edges = pipeline_edges([_e("a", down=["b"]), _e("b", up=["a", "a"])])
    assert edges == [("a", "b", False)]


def test_dangling_reference_and_cycle():
    entries = [_e("x", down=["y"]), _e("y", up=["x", "ghost"], down=["x"])]
    edges = pipeline_edges(entries)
    assert ("ghost", "y", True) in edges
    m = graph_measures(["x", "y"], edges)
    assert m["has_cycle"] and sorted(m["cycle"]) == ["x", "y"]
    assert m["n_dangling"] == 1 and m["n_edges"] == 2
    assert m["depth"] == 1  # the cycle collapses to one stage


def test_independent_blocks_and_empty_pipeline():
    m = graph_measures(["a", "b", "c"], [])
    assert (m["depth"], m["max_width"], m["n_roots"], m["n_leaves"]) == (1, 3, 3, 3)
    assert graph_measures([], [])["depth"] == 0
