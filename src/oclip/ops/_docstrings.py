"""What an operation's numpydoc docstring says: its summary and its parameters.

Parameter descriptions (the napari plugin's tooltips) are read with the
``docstring_parser`` package, which magicgui brings along.  Core oclip does not
depend on it: it is imported when a description is first read, not when an
operation is registered.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from types import MappingProxyType, ModuleType


def summary(docstring: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return inspect.cleandoc(docstring or "").split("\n\n")[0].replace("\n", " ")


@functools.cache
def parameter_descriptions(docstring: str) -> Mapping[str, str]:
    """The descriptions of a numpydoc docstring's Parameters section, by parameter name.

    A description's lines (and paragraphs) are joined into one line.  Parameters
    documented together (``a, b : int``) share one description.
    """
    parser = _docstring_parser()
    parsed = parser.parse(docstring, style=parser.DocstringStyle.NUMPYDOC)
    descriptions: dict[str, str] = {}
    for parameter in parsed.params:
        if parameter.args[0] != "param":  # "Other Parameters", "Attributes"...
            continue
        lines = (line.strip() for line in (parameter.description or "").splitlines())
        text = " ".join(line for line in lines if line)
        for name in parameter.arg_name.split(","):
            descriptions[name.strip()] = text
    return MappingProxyType(descriptions)


def _docstring_parser() -> ModuleType:
    try:
        import docstring_parser
    except ImportError as error:
        raise ImportError("parameter descriptions need docstring_parser, which is not "
                          "installed: pip install docstring_parser (the napari extra of "
                          "oclip brings it)") from error
    return docstring_parser
