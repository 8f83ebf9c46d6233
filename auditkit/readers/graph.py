"""Pipeline DAG measures (networkx): edges, depth, width, roots, leaves, cycles, dangling names.

Edges come from both ``upstream_blocks`` and ``downstream_blocks`` of every entry (Mage writes
both; hand-edited files often have only one side), deduplicated. A name is *dangling* when it
is not an entry of the pipeline; conditional, callback, widget and extension uuids count as
entries. The shape measures (depth, width, roots, leaves, cycle) are taken over the executable
graph only: entries of the ``blocks`` section and the edges between them, because callbacks,
conditionals and charts hang off blocks without adding run stages.
"""
from __future__ import annotations

from typing import Any, Iterable

import networkx as nx

GRAPH_COLUMNS = ["depth", "max_width", "n_edges", "n_roots", "n_leaves", "has_cycle", "cycle", "n_dangling"]


def pipeline_edges(entries: Iterable[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """Deduplicated (upstream, downstream, dangling) triples of one pipeline's entries.

    Each entry needs ``block`` (uuid), ``upstream`` and ``downstream`` (lists of uuids).
    Order follows the entries, upstream references first.
    """
    entries = list(entries)
    names = {e["block"] for e in entries}
    seen: set[tuple[str, str]] = set()
    edges: list[tuple[str, str, bool]] = []
    for entry in entries:
        pairs = [(up, entry["block"]) for up in entry.get("upstream") or ()]
        pairs += [(entry["block"], down) for down in entry.get("downstream") or ()]
        for pair in pairs:
            if pair in seen:
                continue
            seen.add(pair)
            edges.append((pair[0], pair[1], pair[0] not in names or pair[1] not in names))
    return edges


def graph_measures(nodes: Iterable[str], edges: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    """Shape of the DAG over ``nodes`` using the non-dangling ``edges`` between them.

    ``depth`` is the number of nodes on the longest path, ``max_width`` the largest number of
    nodes in one topological generation (blocks that can run in parallel). With a cycle, both
    are measured on the condensation (each strongly connected set counts as one stage) and
    ``cycle`` lists the uuids of one cycle in order.
    """
    all_edges = list(edges)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((u, v) for u, v, dangling in all_edges
                         if not dangling and u in graph and v in graph)
    n_dangling = sum(1 for *_, dangling in all_edges if dangling)
    result: dict[str, Any] = {
        "depth": 0, "max_width": 0, "n_edges": graph.number_of_edges(), "n_roots": 0,
        "n_leaves": 0, "has_cycle": False, "cycle": [], "n_dangling": n_dangling,
    }
    if graph.number_of_nodes() == 0:
        return result
    result["n_roots"] = sum(1 for n in graph if graph.in_degree(n) == 0)
    result["n_leaves"] = sum(1 for n in graph if graph.out_degree(n) == 0)
    dag = graph
    if not nx.is_directed_acyclic_graph(graph):
        result["has_cycle"] = True
        result["cycle"] = [u for u, _ in nx.find_cycle(graph)]
        dag = nx.condensation(graph)
    generations = list(nx.topological_generations(dag))
    result["max_width"] = max(len(g) for g in generations)
    result["depth"] = nx.dag_longest_path_length(dag) + 1
    return result
