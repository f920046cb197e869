"""Draw an explanation's evidence subgraph as a PNG: nodes coloured by label, edges as wide as their contribution.

Layout: the pair's source on the left, its target on the right, and every other node at the mean of its relative
positions along the paths it lies on, so 2-hop and 3-hop paths read left to right.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import networkx as nx
from pmkg.kg.explain import Explanation

LABEL_COLOURS = {
    "Drug": "#1f77b4",
    "Disease": "#d62728",
    "Gene": "#2ca02c",
    "Phenotype": "#9467bd",
    "Variant": "#8c564b",
    "PharmacologicClass": "#e377c2",
    "SideEffect": "#7f7f7f",
    "Symptom": "#bcbd22",
    "Anatomy": "#17becf",
    "Patient": "#ff7f0e",
    "Pathway": "#aec7e8",
    "GOTerm": "#98df8a",
}
OTHER_COLOUR = "#c7c7c7"
_NAME_WIDTH = 28
_BAND = 0.12  # columns closer than this share one vertical spread


def evidence_graph(explanation: Explanation) -> nx.DiGraph:
    """The union of the explanation's paths: node attributes ``label``, ``name``, ``x``; edge ``type``, ``weight``.

    Edges point along the walk from the pair's source to its target; ``weight`` sums the contributions of the
    paths through the edge.
    """
    graph = nx.DiGraph()
    positions: dict[str, list[float]] = defaultdict(list)
    for path in explanation.paths:
        last = len(path.node_ids) - 1
        for i, (node_id, name, label) in enumerate(zip(path.node_ids, path.node_names, path.node_labels, strict=True)):
            graph.add_node(node_id, label=label, name=name)
            positions[node_id].append(i / last)
        for i, rel in enumerate(path.relationships):
            u, v = path.node_ids[i], path.node_ids[i + 1]
            if graph.has_edge(u, v):
                graph[u][v]["weight"] += path.contribution
            else:
                graph.add_edge(u, v, type=rel, weight=path.contribution)
    for node_id, xs in positions.items():
        graph.nodes[node_id]["x"] = sum(xs) / len(xs)
    return graph


def _layout(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """x from the path positions; y spread within bands of nearby x, so close columns never share a height."""
    order = sorted(graph.nodes, key=lambda n: (graph.nodes[n]["x"], graph.nodes[n]["label"], graph.nodes[n]["name"]))
    bands: list[list[str]] = []
    for node_id in order:
        if bands and graph.nodes[node_id]["x"] - graph.nodes[bands[-1][0]]["x"] < _BAND:
            bands[-1].append(node_id)
        else:
            bands.append([node_id])
    layout = {}
    for members in bands:
        members.sort(key=lambda n: (graph.nodes[n]["label"], graph.nodes[n]["name"] or n))
        for j, node_id in enumerate(members):
            layout[node_id] = (graph.nodes[node_id]["x"], (j - (len(members) - 1) / 2) / max(1, len(members)))
    return layout


def _short(text: str) -> str:
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 1] + "…"


def draw_explanation(explanation: Explanation, out: Path) -> Path:
    """Write the evidence subgraph of ``explanation`` to ``out`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    graph = evidence_graph(explanation)
    layout = _layout(graph)
    height = max(4.0, 0.6 * len(set(layout)) ** 0.5 * 2)
    fig, ax = plt.subplots(figsize=(12, height))
    if graph.number_of_nodes():
        top = max(d["weight"] for _, _, d in graph.edges(data=True))
        widths = [0.8 + 5.0 * d["weight"] / top for _, _, d in graph.edges(data=True)]
        colours = [LABEL_COLOURS.get(d["label"], OTHER_COLOUR) for _, d in graph.nodes(data=True)]
        nx.draw_networkx_edges(graph, layout, ax=ax, width=widths, edge_color="#999999", arrows=True, arrowsize=12)
        nx.draw_networkx_nodes(graph, layout, ax=ax, node_color=colours, node_size=420, edgecolors="black")
        labels = {n: _short(d["name"] or n) for n, d in graph.nodes(data=True)}
        above = {n: (x, y + 0.035) for n, (x, y) in layout.items()}
        nx.draw_networkx_labels(graph, above, labels=labels, ax=ax, font_size=8, verticalalignment="bottom")
        edge_labels = {(u, v): d["type"] for u, v, d in graph.edges(data=True)}
        nx.draw_networkx_edge_labels(graph, layout, edge_labels=edge_labels, ax=ax, font_size=6, alpha=0.7)
        present = sorted({d["label"] for _, d in graph.nodes(data=True)})
        handles = [
            Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=LABEL_COLOURS.get(lab, OTHER_COLOUR),
                   markeredgecolor="black", label=lab)
            for lab in present
        ]  # fmt: skip
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    else:
        ax.text(0.5, 0.5, "no evidence path", ha="center", va="center")
    source = explanation.source_name or explanation.source_id
    target = explanation.target_name or explanation.target_id
    ax.set_title(f"{source} → {target}: top {len(explanation.paths)} evidence paths (edge width = contribution)")
    ax.axis("off")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
