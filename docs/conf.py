"""Sphinx configuration of ooarray's documentation site.

Build it from the repository's top, in a venv with the ``docs`` extra installed::

    pip install ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The pages are Markdown (MyST): the guide under ``guide/``, the API reference under ``api/``
(autodoc over the installed package's docstrings, read in NumPy style by napoleon) and the
topic pages ``docs/*.md`` that the README links to, which are part of the site as they are.
Nothing here needs the network: Mermaid diagrams are drawn by the reader's browser.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import ooarray

DOCS = Path(__file__).resolve().parent

project = "ooarray"
author = "the ooarray developers"
copyright = "the ooarray developers"  # noqa: A001 - Sphinx's name
release = ooarray.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinxcontrib.mermaid",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "figures", "**/.ipynb_checkpoints"]

# -- MyST: the topic pages are GitHub Markdown, readable on GitHub and on the site alike -----
myst_enable_extensions = ["colon_fence", "deflist"]
# Links such as architecture.md#resumable-writes resolve to the heading's slug, as on GitHub.
myst_heading_anchors = 3
# ```mermaid fences (which GitHub draws too) become diagrams.
myst_fence_as_directive = ["mermaid"]

# -- API reference -----------------------------------------------------------------------
autosummary_generate = False  # the tables point at the autodoc entries on the same pages
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"exclude-members": "__init__, __weakref__, __dict__, __module__"}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True

# -- HTML --------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"ooarray {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False


# -- Public names the API pages do not list yet -------------------------------------------
# Every name of ``ooarray.__all__`` is documented: those the pages under api/ do not name in an
# ``auto...::`` directive are added to api/index.md, where its marker is, so that a new public
# function appears in the reference (and its docstring is checked by -W) the day it is added.
OTHER_NAMES_MARKER = "<!-- other-public-names: filled by docs/conf.py -->"
_DOCUMENTED = re.compile(
    r"^\s*\.\. auto(?:function|class|exception|data)::\s+(?:ooarray\.)?(\w+)\s*$", re.MULTILINE)


def _other_public_names() -> list[str]:
    named = set()
    for page in (DOCS / "api").glob("*.md"):
        named.update(_DOCUMENTED.findall(page.read_text(encoding="utf-8")))
    return [name for name in ooarray.__all__
            if name not in named and not name.startswith("__")
            and not isinstance(getattr(ooarray, name), types.ModuleType)]


def _directive(name: str) -> str:
    value = getattr(ooarray, name)
    if isinstance(value, type) and issubclass(value, BaseException):
        return f".. autoexception:: ooarray.{name}"
    if isinstance(value, type):
        return f".. autoclass:: ooarray.{name}\n   :members:"
    if callable(value) or inspect.isroutine(value):
        return f".. autofunction:: ooarray.{name}"
    return f".. autodata:: ooarray.{name}"


# -- The figures of ``python -m ooarray bench all`` on the performance page ----------------
# ``python -m ooarray bench all --out docs/figures`` writes all.md (its tables) and the
# figures all-time, all-memory and all-ratios (SVG and PNG); the page shows what is there.
BENCH_ALL_MARKER = ("<!-- bench-all: docs/conf.py puts the table and figures of `bench all` "
                    "here when they exist -->")
BENCH_ALL_FIGURES = {
    "all-time": "wall time of each workload, per system",
    "all-memory": "peak memory of each workload, per system",
    "all-ratios": "each system's time and memory over ooarray's",
}


def _bench_all_section() -> str:
    figures = DOCS / "figures"
    parts = []
    if (figures / "all.md").exists():
        parts.append("```{include} ../figures/all.md\n:heading-offset: 2\n```")
    parts += [f"![{alt}](../figures/{name}.svg)" for name, alt in BENCH_ALL_FIGURES.items()
              if (figures / f"{name}.svg").exists()]
    if not parts:
        parts.append(":::{note}\nNo run of `bench all` is published on this page yet.\n:::")
    return "\n\n".join(parts)


def _fill_markers(app, docname: str, source: list[str]) -> None:
    if docname == "api/index" and OTHER_NAMES_MARKER in source[0]:
        others = _other_public_names()
        text = ("## Other public names\n\n```{eval-rst}\n"
                + "\n\n".join(_directive(name) for name in others) + "\n```\n") if others else ""
        source[0] = source[0].replace(OTHER_NAMES_MARKER, text)
    elif docname == "guide/performance" and BENCH_ALL_MARKER in source[0]:
        source[0] = source[0].replace(BENCH_ALL_MARKER, _bench_all_section())


def setup(app):
    app.connect("source-read", _fill_markers)
