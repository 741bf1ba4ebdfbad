"""Workflow files: YAML read with a safe loader, written in one fixed layout.

The format (schema version 1)::

    oclip_workflow: 1
    inputs: [nuclei]
    steps:
      - id: blurred
        op: gaussian_blur
        inputs: {image: nuclei}
        params: {sigma_x: 2.0, sigma_y: 2.0, sigma_z: 0.0}
    outputs: [blurred]

Loading never executes code: the loader is a ``yaml.SafeLoader`` subclass
that also refuses every tag but plain strings, numbers, booleans, null, lists
and mappings (so ``!!python/...`` tags are named and refused, not merely
unresolved), anchors and aliases (no alias-expansion blow-ups), duplicate
keys, nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES`
values, numbers written with more than :data:`MAX_NUMBER_CHARS` characters (an
integer's conversion takes time quadratic in its length) and files over
:data:`MAX_BYTES` (no more than that is ever read).  YAML 1.1 readings that no
writer means are refused too: integers with a leading zero (``010`` is octal 8,
``08`` text), base-60 numbers (``1:30`` is 90) and unquoted text that reads as
a number elsewhere (``1e5``, ``-.5``, ``-inf``), each with the spelling to use.
``outputs``, written last, must be there: a file cut short at the end of a line
would otherwise read as a smaller workflow.  Operations resolve only through
the registry.  Every refusal names the problem, the line and the step.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from pathlib import Path
from typing import Any

from .._io import require, write_text
from ._model import Workflow, WorkflowError, number_spelling

#: Largest workflow file read, in bytes.
MAX_BYTES = 1 << 20
#: Deepest nesting of lists and mappings read (a workflow needs 4).
MAX_DEPTH = 16
#: Most values (scalars, lists, mappings) read from one file.
MAX_NODES = 100_000
#: Longest number read, in characters.
MAX_NUMBER_CHARS = 1000

#: An integer with a leading zero (YAML 1.1 reads 010 as octal 8, and 08 as text).
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]*[0-9][0-9_]*")

_STANDARD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(_STANDARD + t for t in ("str", "int", "float", "bool", "null",
                                                   "seq", "map"))


class WorkflowFileError(WorkflowError):
    """A workflow file that is refused; ``line`` is the 1-based line concerned, if known."""

    def __init__(self, message: str, *, source: str = "<string>", line: int | None = None,
                 step: str | None = None) -> None:
        where = source if line is None else f"{source}, line {line}"
        super().__init__(f"{where}: {message}", step=step)
        self.source = source
        self.line = line


def _yaml() -> Any:
    return require("yaml", "reading and writing workflow files")


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line = None if mark is None else mark.line + 1


@functools.cache
def _loader_class() -> type:
    yaml = _yaml()
    # PyYAML is imported when first needed, so the base is known only at run time.
    safe_loader: Any = yaml.SafeLoader

    class WorkflowLoader(safe_loader):
        """SafeLoader without anchors/aliases and duplicate keys, bounded in size and depth."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.node_count = 0
            self.depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(event.start_mark,
                               f"aliases (*{event.anchor}) are not allowed in a workflow file "
                               f"(they can expand to huge data); write the values out")
            if getattr(event, "anchor", None) is not None:
                raise _Refused(event.start_mark,
                               f"anchors (&{event.anchor}) are not allowed in a workflow file; "
                               f"write the values out")
            self.node_count += 1
            if self.node_count > MAX_NODES:
                raise _Refused(event.start_mark, f"more than {MAX_NODES} values: too big for "
                                                 f"a workflow file")
            if self.depth >= MAX_DEPTH:
                raise _Refused(event.start_mark, f"lists or mappings nested more than "
                                                 f"{MAX_DEPTH} deep: not a workflow file")
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if not isinstance(node, yaml.MappingNode):  # !!map on a scalar: the base refuses
                return super().construct_mapping(node, deep=deep)
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    raise _Refused(key_node.start_mark, "a mapping key must be a name or a "
                                                        "number") from None
                if first is not None:
                    raise _Refused(key_node.start_mark, f"key {key!r} appears twice in one "
                                                        f"mapping (first on line {first})")
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> Any:
            return _number(node, "an integer", super().construct_yaml_int)

        def construct_yaml_float(self, node: Any) -> Any:
            return _number(node, "a number", super().construct_yaml_float)

        def construct_yaml_str(self, node: Any) -> Any:
            if node.style is None:  # plain, not in quotes: the writer may have meant a number
                _plain_text(node)
            return super().construct_yaml_str(node)

        def construct_yaml_bool(self, node: Any) -> Any:
            try:
                return super().construct_yaml_bool(node)
            except KeyError:  # !!bool maybe
                raise _Refused(node.start_mark, f"{_start(node.value)!r} is not true or "
                                                f"false") from None

    # the base class registered its own functions: register the overrides
    WorkflowLoader.add_constructor(_STANDARD + "int", WorkflowLoader.construct_yaml_int)
    WorkflowLoader.add_constructor(_STANDARD + "float", WorkflowLoader.construct_yaml_float)
    WorkflowLoader.add_constructor(_STANDARD + "bool", WorkflowLoader.construct_yaml_bool)
    WorkflowLoader.add_constructor(_STANDARD + "str", WorkflowLoader.construct_yaml_str)
    return WorkflowLoader


def _start(text: str) -> str:
    return text if len(text) <= 20 else f"{text[:20]}..."


def _number(node: Any, what: str, construct: Any) -> Any:
    """A number node's value; refused if too long to convert, malformed or too large."""
    text = node.value
    if isinstance(text, str) and len(text) > MAX_NUMBER_CHARS:
        raise _Refused(node.start_mark, f"the number {_start(text)} has {len(text)} "
                                        f"characters, more than a workflow file's numbers may "
                                        f"have ({MAX_NUMBER_CHARS})")
    if isinstance(text, str) and _LEADING_ZERO.fullmatch(text):
        octal = None
        with contextlib.suppress(ValueError):
            octal = int(text.replace("_", ""), 8)
        _refuse_leading_zero(node, octal)
    if isinstance(text, str) and ":" in text:
        _refuse_base_60(node, construct)
    try:
        return construct(node)
    except (ValueError, IndexError):  # !!int abc, !!float ''
        raise _Refused(node.start_mark, f"{_start(text)!r} is not {what}") from None


def _decimal_digits(text: str) -> str:
    """An integer's text without underscores and leading zeros (its decimal reading)."""
    sign = text[0] if text[0] in "+-" else ""
    digits = text.removeprefix(sign).replace("_", "").lstrip("0") or "0"
    return sign + digits


def _refuse_leading_zero(node: Any, octal: int | None) -> None:
    """Refuse an integer written with a leading zero: YAML 1.1 reads it as octal or text."""
    text = node.value
    reading = (f"YAML reads it as octal ({text} is {octal})" if octal is not None else
               "YAML reads it as text (it is no octal number)")
    raise _Refused(node.start_mark, f"the number {_start(text)} has a leading zero: {reading}; "
                                    f"write {_decimal_digits(text)} (without the zero)")


def _refuse_base_60(node: Any, construct: Any) -> None:
    """Refuse a YAML 1.1 base-60 number (1:30 is 90): no one means that in a workflow."""
    text = node.value
    try:
        value = f" ({construct(node)!r})"
    except (OverflowError, ValueError):  # beyond a float's range
        value = ""
    raise _Refused(node.start_mark, f"YAML reads {_start(text)} as a number in base 60{value}; "
                                    f"write the number itself")


def _plain_text(node: Any) -> None:
    """Refuse plain (unquoted) text that a writer would take for a number.

    YAML 1.1 reads ``08``, ``1e5``, ``-.5`` and ``-inf`` as text; a parameter
    that needs a number would then call it text "in quotes".  Names (``inf``,
    ``nan`` are valid ids) are left alone.
    """
    text = node.value
    if not isinstance(text, str) or len(text) > MAX_NUMBER_CHARS or text.isidentifier():
        return
    if _LEADING_ZERO.fullmatch(text):
        _refuse_leading_zero(node, None)
    try:
        value = float(text)
    except ValueError:
        return
    raise _Refused(node.start_mark, f"YAML reads {_start(text)} as text, not as a number: "
                                    f"write {number_spelling(text, value)}")


def _check_tags(root: Any) -> None:
    yaml = _yaml()
    pending = [root]
    while pending:
        node = pending.pop()
        if node.tag not in _ALLOWED_TAGS:
            tag = node.tag.replace(_STANDARD, "!!")
            hint = (" (Python objects are never created from a workflow file)"
                    if "python" in tag else
                    " (merge keys, <<, are not read: write the keys out)"
                    if tag == "!!merge" else "")
            raise _Refused(node.start_mark, f"the tag {tag} is not allowed{hint}; a workflow "
                                            f"file holds only text, numbers, true/false, "
                                            f"null, lists and mappings")
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            pending += node.value


def _lines(root: Any) -> tuple[dict[str, int], list[int], list[dict[str, int]]]:
    """Lines of the top-level keys, of each step, and of each step's keys."""
    yaml = _yaml()
    top: dict[str, int] = {}
    steps: list[int] = []
    step_keys: list[dict[str, int]] = []
    if not isinstance(root, yaml.MappingNode):
        return top, steps, step_keys
    for key, value in root.value:
        top[str(key.value)] = key.start_mark.line + 1
        if key.value == "steps" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                steps.append(item.start_mark.line + 1)
                keys = {}
                if isinstance(item, yaml.MappingNode):
                    keys = {str(k.value): k.start_mark.line + 1 for k, _ in item.value}
                step_keys.append(keys)
    return top, steps, step_keys


def loads(text: str, *, source: str = "<string>") -> Workflow:
    """The workflow a YAML text describes.

    Parameters
    ----------
    text : str
        The file's content.
    source : str
        Name used in error messages (the file's path).

    Raises
    ------
    WorkflowFileError
        With the line and the step, for anything refused (see the module).
    """
    yaml = _yaml()
    if len(text) > MAX_BYTES:
        raise WorkflowFileError(f"{len(text)} characters is more than a workflow file may "
                                f"hold ({MAX_BYTES} bytes)", source=source)
    try:
        loader = _loader_class()(text)
    except yaml.reader.ReaderError as error:  # a control character (the reader checks all)
        line: int | None = text.count("\n", 0, error.position) + 1
        raise WorkflowFileError(f"not valid YAML: the control character #x{error.character:04x} "
                                f"is not allowed (is this a text file?)", source=source,
                                line=line) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise WorkflowFileError("the file is empty, not a workflow", source=source)
        _check_tags(root)
        data = loader.construct_document(root)
    except _Refused as refusal:
        raise WorkflowFileError(str(refusal), source=source, line=refusal.line) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = None if mark is None else mark.line + 1
        problem = " ".join(p for p in (error.context, error.problem) if p)
        raise WorkflowFileError(f"not valid YAML: {problem}", source=source,
                                line=line) from None
    except yaml.YAMLError as error:
        raise WorkflowFileError(f"not valid YAML: {error}", source=source) from None
    except RecursionError:
        raise WorkflowFileError("nested too deeply to read", source=source) from None
    finally:
        loader.dispose()
    top, step_lines, step_keys = _lines(root)
    try:
        workflow = Workflow.from_dict(data)
    except WorkflowError as error:
        line = None
        if error.index is not None and error.index < len(step_lines):
            line = step_keys[error.index].get(error.field or "", step_lines[error.index])
        elif error.field is not None:
            line = top.get(error.field)
        raise WorkflowFileError(str(error), source=source, line=line,
                                step=error.step) from None
    if data.get("outputs") is None:
        # a file cut short at the end of a line can still be a valid workflow (fewer steps,
        # or default parameters); the outputs, written last, tell a whole file
        raise WorkflowFileError("'outputs' is missing or empty: was the file cut short? A "
                                "workflow file ends with its outputs ('outputs: []' returns "
                                "each step no other step reads)", source=source,
                                line=top.get("outputs", text.count("\n") + 1))
    return workflow


def load(path: str | os.PathLike) -> Workflow:
    """The workflow saved in the file ``path`` (see :func:`loads`)."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise WorkflowFileError(f"the file has {size} bytes, more than a workflow file may "
                                    f"hold ({MAX_BYTES})", source=source)
        with open(path, "rb") as file:  # never more than the limit, whatever stat said
            data = file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise WorkflowFileError(f"the file has more than {MAX_BYTES} bytes, more than a "
                                    f"workflow file may hold", source=source)
    except OSError as error:
        raise WorkflowFileError(f"cannot read it: {error.strerror or error}",
                                source=source) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WorkflowFileError(f"not UTF-8 text (byte {error.start}): not a workflow file",
                                source=source) from None
    return loads(text, source=source)


def _flow(value: Any) -> str:
    """``value`` in YAML flow style on one line (strings quoted where YAML needs it)."""
    yaml = _yaml()
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 30,
                          allow_unicode=True)
    return text.removesuffix("\n...\n").removesuffix("\n")


def _plain(params: Any) -> dict[str, Any]:
    """Parameter values as YAML writes them: tuples (an affine matrix) as lists."""
    return {name: list(value) if isinstance(value, tuple) else value
            for name, value in params.items()}


def dumps(workflow: Workflow) -> str:
    """The workflow as YAML text in the layout of the module docstring."""
    lines = [f"oclip_workflow: {workflow.to_dict()['oclip_workflow']}",
             f"inputs: {_flow(list(workflow.inputs))}"]
    if workflow.steps:
        lines.append("steps:")
        for step in workflow.steps:
            lines += [f"  - id: {_flow(step.id)}",
                      f"    op: {_flow(step.op)}",
                      f"    inputs: {_flow(dict(step.inputs))}",
                      f"    params: {_flow(_plain(step.params))}"]
    else:
        lines.append("steps: []")
    lines.append(f"outputs: {_flow(list(workflow.outputs))}")
    return "\n".join(lines) + "\n"


def save(workflow: Workflow, path: str | os.PathLike) -> Path:
    """Write the workflow to ``path`` as YAML (atomically: a temporary file, renamed)."""
    if not isinstance(workflow, Workflow):
        raise TypeError(f"save: expected a Workflow, got {type(workflow).__name__}")
    return write_text(path, dumps(workflow))
