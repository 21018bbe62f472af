"""``a.visualize()`` and ``ooarray.visualize(*arrays)``: draw the plan as SVG, Mermaid or DOT.

Each node carries the facts :func:`ooarray.explain` prints (:mod:`.plan_facts`): operation,
shape, dtype, chunking, tasks and stage, bytes read and written, the largest task; a fused
node shows its numexpr expression. SVG is drawn here (:mod:`.svg_graph`), without Graphviz;
Mermaid and DOT are text for the tools that render them. Nothing is computed.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements_method
from ooarray.diagnostics.explain import chunking, dtype_name
from ooarray.diagnostics.plan_facts import SINK, NodeFacts, PlanFacts, gather
from ooarray.diagnostics.svg_graph import DrawNode, layered_svg
from ooarray.errors import format_bytes

__all__ = ["Drawing", "visualize", "FORMATS", "COLOURS"]

#: Formats by name, and the file suffixes that choose them.
FORMATS = {"svg": (".svg",), "mermaid": (".mmd", ".mermaid"), "dot": (".dot", ".gv")}
#: Fill colour of a node by kind (:attr:`NodeFacts.kind`).
COLOURS = {
    "stored": "#dbeafe", "in memory": "#e5e7eb", "tasks": "#dcfce7", "numexpr": "#fef9c3",
    "elementwise": "#fef3c7", "view": "#f3f4f6", "region": "#ffffff", "sink": "#fed7aa",
}
#: Text of one line of a node, at most (longer operations keep their end: file names).
LINE_CHARACTERS = 44


class Drawing(str):
    """The text of a drawing (SVG, Mermaid or DOT); notebooks show an SVG as a picture and
    Mermaid as a diagram (in a Markdown fence)."""

    format: str = "svg"

    def __new__(cls, text: str, format: str) -> Drawing:
        drawing = super().__new__(cls, text)
        drawing.format = format
        return drawing

    def _repr_svg_(self) -> str | None:
        return str(self) if self.format == "svg" else None

    def _repr_markdown_(self) -> str | None:
        return f"```mermaid\n{self}```\n" if self.format == "mermaid" else None


def _short(text: str, room: int = LINE_CHARACTERS) -> str:
    """``text``, or its end after ``...`` when longer than ``room`` (a file name's end)."""
    return text if len(text) <= room else "..." + text[-(room - 3):]


def _lines(facts: NodeFacts, sink: str = SINK) -> list[str]:
    """What a node says: the facts of ``explain``'s tables, a line each (``sink``: the
    name of its plan's sink)."""
    lines = [f"{facts.key} {_short(facts.operation, LINE_CHARACTERS - len(facts.key) - 1)}"]
    if facts.expression is not None:
        lines += textwrap.wrap(facts.expression, LINE_CHARACTERS)
        lines += textwrap.wrap(", ".join(f"{name} = {key}" for name, key in facts.leaves.items()),
                               LINE_CHARACTERS)
    lines.append(f"{facts.shape} {dtype_name(facts.dtype)}")
    if facts.chunks:
        lines.append(f"chunks {chunking(facts)}")
    if facts.runs_tasks and facts.tasks:
        lines.append(f"stage {facts.stage}: {facts.tasks} task{'s' * (facts.tasks != 1)}, "
                     f"largest {format_bytes(facts.largest_task)}")
        lines.append(f"reads {format_bytes(facts.bytes_read)}, "
                     f"writes {format_bytes(facts.bytes_written)}")
    elif facts.kind == "sink":
        lines.append(f"writes {format_bytes(facts.bytes_written)}")
    elif facts.fused_into:
        lines.append(f"fused into {facts.fused_into}")
    elif facts.evaluated_in:
        makers = (sink if maker == SINK else maker for maker in facts.evaluated_in)
        lines.append(_short(f"evaluated by {facts.tasks} task{'s' * (facts.tasks != 1)} of "
                            + ", ".join(makers)))
    if facts.kind == "stored":
        lines.append(f"reads {format_bytes(facts.bytes_read)} (expected)")
    if facts.note:
        lines.append(_short(facts.note))
    if facts.checkpoint:
        lines.append("checkpoint: computed first, kept")
    return lines


def _nodes(plans: Sequence[PlanFacts], optimized: bool) -> list[DrawNode]:
    """The boxes of every plan, shared nodes once (node ids are unique in a process)."""
    found: dict[str, DrawNode] = {}
    many = len(plans) > 1
    for number, plan in enumerate(plans):
        sink = f"{SINK}{number}" if many else SINK
        shown = plan.after if optimized else [*plan.before,
                                              *(f for f in plan.after if f.key == SINK)]
        for facts in shown:
            key = sink if facts.key == SINK else facts.key
            if key in found:
                continue
            lines = _lines(facts, sink)
            if many and facts.key == SINK:
                lines[0] = f"{sink} {facts.operation}"
            inputs = list(dict.fromkeys(facts.inputs))  # a * a: one edge
            if not optimized and facts.key == SINK:
                inputs = [plan.before[-1].key]  # the root
            found[key] = DrawNode(key, lines, COLOURS.get(facts.kind, "#ffffff"), inputs,
                                  facts.checkpoint)
    return list(found.values())


def _identifier(key: str) -> str:
    """A node's name in Mermaid and DOT: letters and digits only."""
    return "n" + key[1:] if key.startswith("#") else key


def _mermaid_text(line: str) -> str:
    return "".join({'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;"}.get(c, c)
                   for c in line)


def to_mermaid(nodes: Sequence[DrawNode], title: str = "") -> str:
    """Mermaid flowchart text: the classes of the kinds of node, then one line per node
    and one per edge (``title`` is not drawn: Mermaid has no title on all renderers)."""
    lines = ["flowchart TD"]
    for kind, colour in COLOURS.items():
        lines.append(f"  classDef {kind.replace(' ', '_')} fill:{colour},stroke:#4b5563")
    lines.append("  classDef checkpoint stroke-dasharray:5 3")
    kinds = {colour: kind.replace(" ", "_") for kind, colour in COLOURS.items()}
    for node in nodes:
        label = "<br/>".join(_mermaid_text(line) for line in node.lines)
        style = "checkpoint" if node.dashed else kinds.get(node.fill, "region")
        lines.append(f'  {_identifier(node.key)}["{label}"]:::{style}')
    for node in nodes:
        for key in node.inputs:
            lines.append(f"  {_identifier(key)} --> {_identifier(node.key)}")
    return "\n".join(lines) + "\n"


def _dot_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(nodes: Sequence[DrawNode], title: str = "") -> str:
    """Graphviz DOT text: one statement per node and one per edge."""
    lines = ["digraph plan {",
             f'  graph [rankdir=TB, fontname="monospace", label="{_dot_text(title)}", '
             'labelloc=t];',
             '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];']
    for node in nodes:
        label = "\\l".join(_dot_text(line) for line in node.lines) + "\\l"
        style = ', style="rounded,filled,dashed"' if node.dashed else ""
        lines.append(f'  {_identifier(node.key)} [label="{label}", '
                     f'fillcolor="{node.fill}"{style}];')
    for node in nodes:
        for key in node.inputs:
            lines.append(f"  {_identifier(key)} -> {_identifier(node.key)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _format_of(filename: str | os.PathLike | None, format: str | None) -> str:
    if format is None:
        suffix = Path(filename).suffix.lower() if filename is not None else ""
        format = next((name for name, suffixes in FORMATS.items() if suffix in suffixes),
                      "svg")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {tuple(FORMATS)}; got {format!r}")
    return format


def visualize(*arrays: OOArray, filename: str | os.PathLike | None = None,
              format: str | None = None, optimized: bool = True) -> Drawing:
    """Draw the plans that computing ``arrays`` would run (nothing is computed).

    Parameters
    ----------
    *arrays : OOArray
        Drawn in one graph; nodes they share appear once, each has a sink of its own.
    filename : str or path-like, optional
        Also write the drawing there.
    format : {"svg", "mermaid", "dot"}, optional
        By default from ``filename``'s suffix (``.svg``, ``.mmd``/``.mermaid``,
        ``.dot``/``.gv``), else ``"svg"``.
    optimized : bool
        The plan after fusion (a numexpr expression is one node), or the plan as built.

    Returns
    -------
    Drawing
        The text; an SVG shows as a picture in notebooks.

    Raises
    ------
    TypeError
        If an argument is not an OOArray.
    ValueError
        For another ``format``.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> with oa.config.set(eager_bytes=0):
    ...     a = oa.asarray(np.ones((4, 4)), chunks=2)
    ...     text = oa.visualize(np.sqrt(a * a).sum(), format="mermaid")
    >>> text.splitlines()[0]
    'flowchart TD'
    """
    for array in arrays:
        if not isinstance(array, OOArray):
            raise TypeError(f"visualize takes OOArrays; got {type(array).__name__}")
    format = _format_of(filename, format)
    plans = [gather(array) for array in arrays]
    nodes = _nodes(plans, optimized)
    title = "; ".join(f"{plan.title} -> {plan.target}" for plan in plans)
    draw = {"svg": layered_svg, "mermaid": to_mermaid, "dot": to_dot}[format]
    text = Drawing(draw(nodes, title), format)
    if filename is not None:
        Path(filename).write_text(text, encoding="utf-8")
    return text


@implements_method("visualize")
def _visualize_method(array: OOArray, *, filename: str | os.PathLike | None = None,
                      format: str | None = None, optimized: bool = True) -> Drawing:
    return visualize(array, filename=filename, format=format, optimized=optimized)
