"""An OOArray in a notebook: a table of its metadata and a picture of its chunk grid.

``OOArray._repr_html_`` shows, as Dask's arrays do, the array's and its largest chunk's bytes
and shape, the number of chunks, the dtype and the operation that makes it, beside an SVG of
the chunk grid (the last two axes; leading axes are named under it). Nothing is computed. The
HTML is well-formed XML (one ``<div>``), so any parser reads it.
"""

from __future__ import annotations

import html
import math

from ooarray.chunks import Chunks, offsets
from ooarray.core.array import OOArray, operation_name
from ooarray.core.dispatch import implements_method
from ooarray.errors import format_bytes

__all__ = ["array_html", "chunk_grid_svg"]

#: The longer side of the grid picture, and the shortest any side is drawn, in pixels.
SIDE, THINNEST = 120, 24
#: An axis with more chunks than this is drawn shaded, without a line per chunk.
MAX_LINES = 50
FILL, DENSE_FILL, STROKE = "#ecb172", "#8b4903", "#553000"


def _lengths(rows: int, cols: int) -> tuple[float, float]:
    """Pixel height and width for a grid of ``rows`` by ``cols`` elements: in proportion,
    the longer side :data:`SIDE`, neither side under :data:`THINNEST`."""
    rows, cols = max(rows, 1), max(cols, 1)
    scale = SIDE / max(rows, cols)
    return max(THINNEST, rows * scale), max(THINNEST, cols * scale)


def _lines(lengths: tuple[int, ...], pixels: float) -> list[float]:
    """Pixel positions of the chunk boundaries inside one axis (none when too many)."""
    total = sum(lengths)
    if len(lengths) > MAX_LINES or not total:
        return []
    return [pixels * edge / total for edge in offsets(lengths)[1:-1]]


def chunk_grid_svg(shape: tuple[int, ...], chunks: Chunks) -> str:
    """An SVG of the chunk grid of the last two axes (a row of chunks for 1-D arrays).

    Parameters
    ----------
    shape : tuple of int
    chunks : chunk grid

    Returns
    -------
    str
        An ``<svg>`` element; empty for a 0-d array.
    """
    if not shape:
        return ""
    row_chunks = chunks[-2] if len(shape) > 1 else (1,)
    col_chunks = chunks[-1]
    height, width = _lengths(shape[-2] if len(shape) > 1 else 0, shape[-1])
    if len(shape) == 1:
        height = THINNEST * 1.5
    dense = len(row_chunks) > MAX_LINES or len(col_chunks) > MAX_LINES
    pad = 10
    label = 12 + 8 * len(str(shape[-2])) if len(shape) > 1 else 0  # the row count's room
    parts = [f'<rect x="{pad}" y="{pad}" width="{width:.1f}" height="{height:.1f}" '
             f'fill="{DENSE_FILL if dense else FILL}" stroke="{STROKE}" stroke-width="2"/>']
    for y in _lines(row_chunks, height):
        parts.append(f'<line x1="{pad}" y1="{pad + y:.1f}" x2="{pad + width:.1f}" '
                     f'y2="{pad + y:.1f}" stroke="{STROKE}"/>')
    for x in _lines(col_chunks, width):
        parts.append(f'<line x1="{pad + x:.1f}" y1="{pad}" x2="{pad + x:.1f}" '
                     f'y2="{pad + height:.1f}" stroke="{STROKE}"/>')
    parts.append(f'<text x="{pad + width / 2:.1f}" y="{pad + height + 16:.1f}" '
                 f'text-anchor="middle">{shape[-1]}</text>')
    if len(shape) > 1:
        parts.append(f'<text x="{pad + width + 6:.1f}" y="{pad + height / 2:.1f}" '
                     f'dominant-baseline="middle">{shape[-2]}</text>')
    lead = ""
    if len(shape) > 2:
        lead = f"x {shape[:-2]} (leading axes)"
        parts.append(f'<text x="{pad}" y="{pad + height + 32:.1f}">{html.escape(lead)}</text>')
    total_width = max(pad + width + label, pad + len(lead) * 7) + pad
    total_height = pad + height + (40 if lead else 24)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" '
            f'height="{total_height:.0f}" font-family="sans-serif" font-size="12">'
            + "".join(parts) + "</svg>")


def _row(name: str, whole: str, chunk: str = "") -> str:
    return (f"<tr><th style=\"text-align: left\">{html.escape(name)}</th>"
            f"<td>{html.escape(whole)}</td><td>{html.escape(chunk)}</td></tr>")


def array_html(array: OOArray) -> str:
    """The notebook view of ``array``: a metadata table beside its chunk grid.

    Parameters
    ----------
    array : OOArray

    Returns
    -------
    str
        One ``<div>`` of well-formed XHTML.
    """
    chunk = array.chunksize
    chunk_bytes = math.prod(chunk) * array.itemsize
    count = array.npartitions
    rows = [
        "<tr><th></th><th>Array</th><th>Chunk</th></tr>",
        _row("Bytes", format_bytes(array.nbytes), format_bytes(chunk_bytes)),
        _row("Shape", str(array.shape), str(chunk)),
        _row("Chunks", f"{count} chunk{'s' * (count != 1)} in a {array.numblocks} grid"),
        _row("Data type", str(array.dtype), f"{array.dtype.itemsize} B per item"),
        _row("Operation", operation_name(array.node), "lazy: a.explain() shows the plan"),
    ]
    table = '<table style="border-collapse: collapse">' + "".join(rows) + "</table>"
    picture = chunk_grid_svg(array.shape, array.chunks)
    return ('<div><table><tr><td style="vertical-align: top">' + table
            + '</td><td style="vertical-align: middle">' + picture
            + "</td></tr></table></div>")


@implements_method("repr_html")
def _repr_html(array: OOArray) -> str:
    return array_html(array)
