"""Plain text for the command-line help from docstrings written in reStructuredText."""

from __future__ import annotations

import re

__all__ = ["plain"]

_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?([^`]+)`")
_LINK = re.compile(r"`([^`<]+?)\s*<([^>]+)>`_{1,2}")
_LITERAL = re.compile(r"``([^`]+)``")
_INTERPRETED = re.compile(r"`([^`]+)`_{0,2}")


def plain(text: str | None) -> str:
    """Return ``text`` without reST markup, for ``argparse`` to print as it is.

    Roles (func, class, ...) and literals keep their text, links become ``text (url)``, and
    a paragraph ending in ``::`` ends in ``:``. Indentation and line breaks are kept.

    Examples
    --------
    >>> plain("Run ``python -m x`` (:func:`run`), see `npbench <https://e.org>`_ like so::")
    'Run python -m x (run), see npbench (https://e.org) like so:'
    >>> plain("Then::\\n\\n    code\\n\\nand ``a`` ::\\n")
    'Then:\\n\\n    code\\n\\nand a'
    """
    if not text:
        return ""
    text = _ROLE.sub(r"\1", text)
    text = _LINK.sub(r"\1 (\2)", text)
    text = _LITERAL.sub(r"\1", text)
    text = _INTERPRETED.sub(r"\1", text)
    text = re.sub(r"[ \t]+::$", "", text, flags=re.MULTILINE)
    return re.sub(r"::$", ":", text, flags=re.MULTILINE).strip("\n")
