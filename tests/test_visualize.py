"""visualize(): the plan drawn as Mermaid, DOT (read back by pydot) and SVG (by xml.etree)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pydot
import pytest

import ooarray as oa
from ooarray.diagnostics.plan_facts import gather

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot on pyparsing 3
SVG = "{http://www.w3.org/2000/svg}"
NODE = re.compile(r'^  (\w+)\["([^"]*)"\]:::(\w+)$')
EDGE = re.compile(r"^  (\w+) --> (\w+)$")


@pytest.fixture
def arrays(tmp_path, rng):
    a = oa.asarray(rng.random((400, 300)), chunks=(100, 100)).to_zarr(tmp_path / "a.zarr")
    b = oa.asarray(rng.random((400, 300)), chunks=(100, 100)).to_zarr(tmp_path / "b.zarr")
    with oa.config.set(memory_limit="2MB", progress=False):
        yield a, b


def _name(key: str) -> str:
    return "n" + key[1:] if key.startswith("#") else key


def _expected(*arrays, optimized=True):
    """(node names, edges) the drawing must have, from the facts explain() prints."""
    nodes, edges = {}, set()
    for number, plan in enumerate(gather(array) for array in arrays):
        sink = "sink" if len(arrays) == 1 else f"sink{number}"
        shown = plan.after if optimized else [*plan.before, plan.after[-1]]
        for facts in shown:
            name = sink if facts.key == "sink" else _name(facts.key)
            nodes[name] = facts
            inputs = facts.inputs if optimized or facts.key != "sink" else [plan.before[-1].key]
            edges.update((_name(key), name) for key in inputs)
    return nodes, edges


def _mermaid(text: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes, edges = {}, set()
    for line in lines[1:]:
        if line.lstrip().startswith("classDef "):
            continue
        node, edge = NODE.match(line), EDGE.match(line)
        assert node or edge, f"not a node or an edge: {line!r}"
        if node:
            assert node.group(1) not in nodes
            nodes[node.group(1)] = node.group(2)
        else:
            assert edge.groups() not in edges
            edges.add(edge.groups())
    return nodes, edges


def test_mermaid_has_a_line_per_node_and_per_edge(arrays):
    a, b = arrays
    fused = np.sqrt(a * a + b * b)
    y = fused.sum()
    nodes, edges = _mermaid(y.visualize(format="mermaid"))
    expected_nodes, expected_edges = _expected(y)
    assert set(nodes) == set(expected_nodes) and edges == expected_edges
    assert all(start in nodes and end in nodes for start, end in edges)
    label = nodes[f"f{fused.node.id}"]
    # the label's text: '#' and '"' escaped as Mermaid entities, lines joined by <br/>
    assert "sqrt(((a0 * a0) + (a1 * a1)))" in label
    assert f"a0 = #35;{a.node.id}, a1 = #35;{b.node.id}" in label
    for name, facts in expected_nodes.items():
        label = nodes[name]
        assert f"{facts.shape} " in label
        if facts.runs_tasks and facts.tasks:
            assert f"stage {facts.stage}: {facts.tasks} task" in label


def test_mermaid_of_the_plan_as_built_has_every_node(arrays):
    a, b = arrays
    y = (a * 2 + b).max(axis=0)
    nodes, edges = _mermaid(oa.visualize(y, format="mermaid", optimized=False))
    expected_nodes, expected_edges = _expected(y, optimized=False)
    assert set(nodes) == set(expected_nodes) and edges == expected_edges
    labels = " ".join(nodes.values())
    assert "multiply" in labels and "add" in labels and "fused into f" in labels


def test_dot_is_read_back_by_a_dot_parser(arrays):
    a, b = arrays
    fused = np.sqrt(a * a + b * b)
    y = fused.sum()
    text = y.visualize(format="dot")
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    expected_nodes, expected_edges = _expected(y)
    found = {node.get_name() for node in graph.get_nodes()} - {"node", "graph", "edge"}
    assert found == set(expected_nodes)
    assert {(e.get_source(), e.get_destination()) for e in graph.get_edges()} == expected_edges
    label = graph.get_node(f"f{fused.node.id}")[0].get_label()
    assert "sqrt(((a0 * a0) + (a1 * a1)))" in label


def test_dot_escapes_quotes_and_backslashes(tmp_path, rng):
    # a store whose path has a quote and a backslash in it, named in its node's label
    a = oa.asarray(rng.random((10, 10)), chunks=5).to_zarr(tmp_path / 'we"ird\\name.zarr')
    text = oa.visualize(a + 1, format="dot")
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None
    assert 'we\\"ird\\\\name' in graphs[0].get_node(f"n{a.node.id}")[0].get_label()


def _boxes(root: ET.Element) -> list[tuple[float, float, float, float, list[str]]]:
    boxes = []
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        texts = ["".join(t.itertext()) for t in group.findall(f"{SVG}text")]
        boxes.append((float(rect.get("x")), float(rect.get("y")), float(rect.get("width")),
                      float(rect.get("height")), texts))
    return boxes


def test_svg_is_well_formed_and_labels_every_node(arrays, tmp_path):
    a, b = arrays
    y = np.sqrt(a * a + b * b).sum()
    path = tmp_path / "plan.svg"
    drawing = y.visualize(path)
    assert path.read_text() == drawing and drawing._repr_svg_() == drawing
    root = ET.fromstring(drawing)
    assert root.tag == f"{SVG}svg"
    expected_nodes, expected_edges = _expected(y)
    boxes = _boxes(root)
    assert len(boxes) == len(expected_nodes)
    firsts = {texts[0].split(" ", 1)[0]: texts[0] for *_, texts in boxes}
    for facts in expected_nodes.values():  # the key, and the operation (a long path's end)
        first = firsts[facts.key]
        assert first.removeprefix(f"{facts.key} ").removeprefix("...") in facts.operation
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    assert len(arrows) == len(expected_edges)
    width, height = float(root.get("width")), float(root.get("height"))
    for x, y_, w, h, _ in boxes:  # inside the picture, and no two boxes overlap
        assert 0 <= x and x + w <= width and 0 <= y_ and y_ + h <= height
    for i, (x1, y1, w1, h1, _) in enumerate(boxes):
        for x2, y2, w2, h2, _ in boxes[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_several_arrays_share_their_nodes(arrays):
    a, b = arrays
    shared = a * b
    first, second = shared.sum(axis=0), shared.max()
    root = ET.fromstring(oa.visualize(first, second))
    texts = [box[4][0] for box in _boxes(root)]
    assert sum(text.startswith(f"#{a.node.id} ") for text in texts) == 1
    assert [t for t in texts if t.startswith("sink")] == ["sink0 compute()", "sink1 compute()"]
    nodes, edges = _mermaid(oa.visualize(first, second, format="mermaid"))
    expected_nodes, expected_edges = _expected(first, second)
    assert set(nodes) == set(expected_nodes) and edges == expected_edges
    assert {"sink0", "sink1"} <= set(nodes)


def test_the_format_comes_from_the_file_name(arrays, tmp_path):
    a, _ = arrays
    x = a + 1
    for suffix, start in ((".mmd", "flowchart TD"), (".dot", "digraph plan {"),
                          (".svg", "<svg ")):
        drawing = x.visualize(tmp_path / f"plan{suffix}")
        assert drawing.startswith(start) and (tmp_path / f"plan{suffix}").read_text() == drawing
    assert x.visualize(format="mermaid")._repr_markdown_().startswith("```mermaid\n")
    assert x.visualize(format="dot")._repr_svg_() is None
    with pytest.raises(ValueError, match="format"):
        x.visualize(format="png")
    with pytest.raises(TypeError, match="OOArrays"):
        oa.visualize(np.ones(3))
