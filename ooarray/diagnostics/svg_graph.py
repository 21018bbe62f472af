"""A small SVG drawing of a directed acyclic graph, laid out in layers (no Graphviz needed).

Nodes are placed in layers by depth (a node one layer below its deepest input), ordered
within each layer by a few sweeps of the barycentre heuristic (each node near the mean
position of its neighbours, which removes most edge crossings of plans), and drawn as boxes
of monospace text; edges are cubic curves from an input's bottom to a consumer's top, with
arrowheads. Inputs are drawn above the nodes that read them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

__all__ = ["DrawNode", "layered_svg"]

FONT_SIZE = 12
#: Width of one character of the monospace font, in pixels (0.6 em).
CHAR_WIDTH = 0.6 * FONT_SIZE
LINE_HEIGHT = 15
PADDING = 8
#: Space between two boxes of a layer, and between two layers.
GAP_X, GAP_Y = 24, 48
MARGIN = 16
SWEEPS = 4


@dataclasses.dataclass
class DrawNode:
    """A box to draw: ``lines`` of text (the first in bold), its fill colour, the keys of
    the nodes it reads, and whether its border is dashed."""

    key: str
    lines: list[str]
    fill: str = "#ffffff"
    inputs: list[str] = dataclasses.field(default_factory=list)
    dashed: bool = False

    @property
    def width(self) -> float:
        return max(len(line) for line in self.lines) * CHAR_WIDTH + 2 * PADDING

    @property
    def height(self) -> float:
        return len(self.lines) * LINE_HEIGHT + PADDING


def _layers(nodes: Sequence[DrawNode]) -> list[list[DrawNode]]:
    """Nodes by depth (inputs first in ``nodes``): a node one layer below its deepest input."""
    depth: dict[str, int] = {}
    for node in nodes:
        depth[node.key] = 1 + max((depth[k] for k in node.inputs if k in depth), default=-1)
    layers: list[list[DrawNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in nodes:
        layers[depth[node.key]].append(node)
    return layers


def _place(layers: list[list[DrawNode]], width: float) -> dict[str, float]:
    """The x of every box's centre, each layer centred in ``width``."""
    centres = {}
    for layer in layers:
        span = sum(node.width for node in layer) + GAP_X * (len(layer) - 1)
        x = (width - span) / 2
        for node in layer:
            centres[node.key] = x + node.width / 2
            x += node.width + GAP_X
    return centres


def _order(layers: list[list[DrawNode]], width: float) -> None:
    """Reorder each layer, in place, by the mean x of each node's neighbours in the layers
    already placed (downwards: inputs; upwards: consumers)."""
    consumers: dict[str, list[str]] = {}
    for layer in layers:
        for node in layer:
            for key in node.inputs:
                consumers.setdefault(key, []).append(node.key)
    for sweep in range(SWEEPS):
        centres = _place(layers, width)
        downwards = sweep % 2 == 0
        for layer in (layers if downwards else reversed(layers)):
            means = {}
            for node in layer:
                near = node.inputs if downwards else consumers.get(node.key, [])
                known = [centres[k] for k in near if k in centres]
                means[node.key] = sum(known) / len(known) if known else centres[node.key]
            layer.sort(key=lambda node: means[node.key])
            centres.update(_place([layer], width))


def _box(node: DrawNode, x: float, y: float) -> list[str]:
    dash = ' stroke-dasharray="5,3"' if node.dashed else ""
    parts = [f'<g><title>{escape(node.lines[0])}</title>',
             f'<rect x="{x:.1f}" y="{y:.1f}" width="{node.width:.1f}" '
             f'height="{node.height:.1f}" rx="6" fill={quoteattr(node.fill)} '
             f'stroke="#4b5563"{dash}/>']
    for number, line in enumerate(node.lines):
        weight = ' font-weight="bold"' if number == 0 else ""
        parts.append(f'<text x="{x + PADDING:.1f}" '
                     f'y="{y + PADDING / 2 + (number + 0.8) * LINE_HEIGHT:.1f}"{weight} '
                     f'xml:space="preserve">{escape(line)}</text>')
    parts.append("</g>")
    return parts


def layered_svg(nodes: Sequence[DrawNode], title: str = "") -> str:
    """Return an SVG document drawing ``nodes`` (inputs listed before their consumers).

    Parameters
    ----------
    nodes : sequence of DrawNode
    title : str
        A line of text above the drawing.

    Returns
    -------
    str
        A standalone ``<svg>`` element (with its XML namespace).
    """
    layers = _layers(nodes)
    width = max((sum(n.width for n in layer) + GAP_X * (len(layer) - 1) for layer in layers),
                default=0) + 2 * MARGIN
    width = max(width, len(title) * CHAR_WIDTH + 2 * MARGIN)
    _order(layers, width)
    centres = _place(layers, width)
    top = MARGIN + (LINE_HEIGHT + PADDING if title else 0)
    boxes: dict[str, tuple[float, float, DrawNode]] = {}
    y = top
    for layer in layers:
        for node in layer:
            boxes[node.key] = (centres[node.key] - node.width / 2, y, node)
        y += max(node.height for node in layer) + GAP_Y
    height = y - GAP_Y + MARGIN if layers else top + MARGIN

    body: list[str] = []
    if title:
        body.append(f'<text x="{MARGIN}" y="{MARGIN + LINE_HEIGHT - 3}" font-weight="bold">'
                    f"{escape(title)}</text>")
    outgoing: dict[str, list[str]] = {}
    for node in nodes:
        for key in node.inputs:
            if key in boxes:
                outgoing.setdefault(key, []).append(node.key)
    for node in nodes:
        x2, y2, _ = boxes[node.key]
        inputs = [key for key in node.inputs if key in boxes]
        for number, key in enumerate(inputs):
            x1, y1, source = boxes[key]
            leaving = outgoing[key]
            start_x = x1 + source.width * (leaving.index(node.key) + 1) / (len(leaving) + 1)
            start_y = y1 + source.height
            end_x = x2 + node.width * (number + 1) / (len(inputs) + 1)
            bend = max(GAP_Y / 2, (y2 - start_y) / 2)
            body.append(f'<path d="M {start_x:.1f} {start_y:.1f} C {start_x:.1f} '
                        f'{start_y + bend:.1f} {end_x:.1f} {y2 - bend:.1f} {end_x:.1f} '
                        f'{y2 - 1:.1f}" fill="none" stroke="#6b7280" '
                        f'marker-end="url(#arrow)"/>')
    for x, y, node in boxes.values():
        body += _box(node, x, y)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" '
        f'font-size="{FONT_SIZE}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#6b7280"/></marker></defs>',
        *body, "</svg>", ""])
