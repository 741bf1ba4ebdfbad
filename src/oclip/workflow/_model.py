"""The Workflow model: immutable data, validated against the operation registry.

A :class:`Workflow` has named inputs, steps and declared outputs.  A
:class:`Step` has an ``id``, an ``op`` (a registry name), ``inputs``
(parameter name → workflow input name or step id) and ``params`` (parameter
name → literal value).  Every method that "changes" a workflow returns a new
one; the old one stays as it was, so an undo history is a list of workflows.

A Workflow is always valid: the constructor checks it against the registry
and raises :class:`WorkflowError` naming the step and the problem.  Steps
store every scalar parameter of their operation (defaults filled in, values in
their canonical type: ``2`` becomes ``2.0`` for a float parameter), so that
two workflows that do the same thing compare equal and a saved file records
every value used.
"""

from __future__ import annotations

import contextlib
import heapq
import keyword
import math
import reprlib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_origin

import numpy as np

from ..ops import Operation, get_operation
from ..ops._arguments import check_scalar
from ._errors import WorkflowError
from ._replay import Results, run, run_time_lapse

#: The version of the file format this oclip writes and reads.
SCHEMA_VERSION = 1

#: Names a workflow input or step must not take: they would shadow the module
#: an exported script calls.
RESERVED_NAMES = frozenset({"oclip"})

#: The types a parameter value may have (what YAML and Python literals share).
LITERAL_TYPES = (bool, int, float, str, type(None))


def _brief_repr() -> reprlib.Repr:
    shortened = reprlib.Repr()
    shortened.maxstring = shortened.maxother = shortened.maxlong = 60
    shortened.maxlist = shortened.maxdict = shortened.maxtuple = shortened.maxset = 6
    shortened.maxlevel = 3
    return shortened


_BRIEF = _brief_repr()


def _brief(value: Any) -> str:
    """``repr(value)`` for a message, shortened: a file may hold huge values."""
    return _BRIEF.repr(value)


class FrozenDict(Mapping[str, Any]):
    """An immutable, hashable mapping; equal to any mapping with the same items."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        self._data = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._data)


@dataclass(frozen=True)
class Step:
    """One step: ``op`` applied to ``inputs`` (parameter → input name or step id)
    with ``params`` (parameter → literal value)."""

    id: str
    op: str
    inputs: Mapping[str, str] = field(default_factory=FrozenDict)
    params: Mapping[str, Any] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", FrozenDict(self.inputs))
        object.__setattr__(self, "params", FrozenDict(self.params))

    @property
    def operation(self) -> Operation:
        """The registered operation (raises ValueError for an unknown name)."""
        return get_operation(self.op)

    def to_dict(self) -> dict[str, Any]:
        """The step as plain data, as a workflow file holds it."""
        return {"id": self.id, "op": self.op, "inputs": dict(self.inputs),
                "params": dict(self.params)}


def _check_name(name: object, what: str, **where: Any) -> str:
    if not isinstance(name, str):
        hint = ("; in a file, write it in quotes (YAML reads yes, no, on, off, true, false "
                "and null as values)" if isinstance(name, bool) or name is None else "")
        raise WorkflowError(f"{what} must be a name (text), got {_brief(name)}{hint}", **where)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise WorkflowError(
            f"{what} {_brief(name)} is not a valid name: use letters, digits and underscores, "
            f"not starting with a digit, and no Python keyword (it becomes a variable name "
            f"in exported scripts)", **where)
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        # Python reads names in this form: in an exported script, 'ﬁne' (a ligature) is
        # the variable fine, and two such ids would be one variable
        spelt = (f"write {_brief(normal)}" if normal.isidentifier()
                 and not keyword.iskeyword(normal) and normal not in RESERVED_NAMES
                 else "use another name")
        raise WorkflowError(f"{what} {_brief(name)} is not a valid name: Python reads it as "
                            f"{_brief(normal)} (its Unicode NFKC form), so in an exported "
                            f"script it would be that name; {spelt}", **where)
    if name in RESERVED_NAMES:
        raise WorkflowError(f"{what} {_brief(name)} is reserved (exported scripts use it)",
                            **where)
    return name


def _names(value: Any, what: str, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise WorkflowError(f"{what} must be a list of names, got {_brief(value)}", field=field)
    return tuple(value)


def _check_value(op: Operation, where: str, parameter: Any, value: Any, **context: Any) -> Any:
    if isinstance(value, list | tuple) and get_origin(parameter.value_type) is list:
        value = _number_tuple(where, parameter, value, **context)  # an affine matrix
    elif not isinstance(value, (*LITERAL_TYPES, Decimal)):  # check_scalar converts a Decimal
        if isinstance(value, np.generic) and value.shape == ():
            value = value.item()  # a numpy scalar (e.g. from a slider) is a plain number
        else:
            raise WorkflowError(
                f"{where}: parameter '{parameter.name}' must be a number, text, true/false or "
                f"null, got {type(value).__name__} {_brief(value)}", **context)
    try:
        return check_scalar(op, parameter, value)
    except (TypeError, ValueError) as error:
        hint = ""
        if parameter.value_type in (int, float) and isinstance(value, str):
            # the file loader refuses unquoted text that reads as a number (names such as
            # inf aside), so this was in quotes, text from Python or such a name
            with contextlib.suppress(ValueError):
                hint = (f" (text, not a number: write {number_spelling(value, float(value))} "
                        f"without quotes)")
        raise WorkflowError(f"{where}: {error}{hint}", **context) from None


def number_spelling(text: str, value: float) -> str:
    """How a workflow file (YAML 1.1) writes the number Python reads in ``text``.

    YAML 1.1 reads a float only with a point and, in an exponent, a sign:
    ``1e5`` is text to it, ``1.0e+5`` a number; infinity is ``.inf``, NaN
    ``.nan``.
    """
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        if text.strip().lstrip("+-").lower() in ("inf", "infinity"):
            return "-.inf" if value < 0 else ".inf"
        return "a number a float can hold (up to about 1.8e308)"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # for integer parameters too
    spelt = repr(value)
    mantissa, e, exponent = spelt.partition("e")
    if e and "." not in mantissa:
        spelt = f"{mantissa}.0e{exponent}"
    return spelt


def _number_tuple(where: str, parameter: Any, value: list | tuple, **context: Any) -> tuple:
    """A list parameter's value (a YAML list, a widget's list) as a tuple of floats."""
    numbers = []
    for item in value:
        if isinstance(item, np.generic) and item.shape == ():
            item = item.item()
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise WorkflowError(f"{where}: parameter '{parameter.name}' must be a list of "
                                f"numbers, got {_brief(item)} in it", **context)
        numbers.append(float(item))
    return tuple(numbers)


def _canonical_step(step: Step, index: int, known: Mapping[str, int]) -> Step:
    """Check one step against the registry; return it with every parameter filled in.

    ``known`` maps the names a step may refer to (inputs and step ids) to -1
    for inputs and the step's index for steps.
    """
    where = f"step {_brief(step.id)}"
    context: dict[str, Any] = {"step": step.id, "index": index}
    try:
        op = get_operation(step.op) if isinstance(step.op, str) else None
    except ValueError as error:
        raise WorkflowError(f"{where}: {error}", field="op", **context) from None
    if op is None:
        raise WorkflowError(f"{where}: op must be an operation name, got {_brief(step.op)}",
                            field="op", **context)
    by_name = {p.name: p for p in op.parameters}
    for name, source in step.inputs.items():
        parameter = by_name.get(name)
        if parameter is None:
            raise WorkflowError(
                f"{where}: {op.name} has no parameter {_brief(name)} (its image parameters: "
                f"{', '.join(p.name for p in op.image_parameters)})", field="inputs", **context)
        if parameter.kind is None:
            raise WorkflowError(
                f"{where}: '{name}' of {op.name} is a value, not an image: put it under "
                f"params", field="inputs", **context)
        if not isinstance(source, str) or source not in known:
            raise WorkflowError(
                f"{where}: input '{name}' refers to {_brief(source)}, which is neither an "
                f"input of the workflow nor a step", field="inputs", **context)
    for parameter in op.image_parameters:
        if parameter.required and parameter.name not in step.inputs:
            raise WorkflowError(f"{where}: {op.name} needs an image for '{parameter.name}' "
                                f"(missing under inputs)", field="inputs", **context)
    params: dict[str, Any] = {}
    for name, value in step.params.items():
        parameter = by_name.get(name)
        if parameter is None:
            known_params = ", ".join(p.name for p in op.scalar_parameters) or "none"
            raise WorkflowError(f"{where}: {op.name} has no parameter {_brief(name)} (its "
                                f"parameters: {known_params})", field="params", **context)
        if parameter.kind is not None:
            raise WorkflowError(f"{where}: '{name}' of {op.name} is an image: put it under "
                                f"inputs", field="params", **context)
        params[name] = _check_value(op, where, parameter, value, field="params", **context)
    ordered: dict[str, Any] = {}
    for parameter in op.scalar_parameters:
        if parameter.name in params:
            ordered[parameter.name] = params[parameter.name]
        elif parameter.required:
            raise WorkflowError(f"{where}: {op.name} needs a value for '{parameter.name}' "
                                f"(missing under params)", field="params", **context)
        else:
            ordered[parameter.name] = _check_value(op, where, parameter, parameter.default,
                                                   field="params", **context)
    inputs = {p.name: step.inputs[p.name] for p in op.image_parameters if p.name in step.inputs}
    return Step(step.id, step.op, inputs, ordered)


def _gives_image(op: Operation) -> bool:
    return op.result_kind is not None


def _result_words(op: Operation) -> str:
    if op.returns_table:
        return "a table"
    return f"a {getattr(op.returns, '__name__', op.returns)!s} value"


@dataclass(frozen=True, eq=False)
class Workflow:
    """Named inputs, steps and declared outputs; immutable and always valid.

    Parameters
    ----------
    inputs : sequence of str
        Names of the images the workflow takes: valid Python names, in the
        form Python reads them (Unicode NFKC: ``ﬁne``, with a ligature, is
        refused, for Python reads it as ``fine``); step ids likewise.
    steps : sequence of Step
        In any order; the workflow keeps them in topological order (each step
        after the steps it reads, ties in the given order).  A mapping with
        the keys id, op, inputs and params is taken as a Step.
    outputs : sequence of str
        Step ids the workflow returns.  Empty means "every leaf" (see
        :attr:`output_ids`).

    Raises
    ------
    WorkflowError
        For an invalid name, a duplicate id, an unknown operation or parameter,
        a parameter value the operation refuses, a missing image input, an input
        that refers to nothing, a table fed where an image is expected, a cycle,
        or an output that is not a step.

    Notes
    -----
    Two workflows are equal when they have the same inputs (in order), the
    same outputs (in order) and the same steps (compared by id, whatever
    their order).
    """

    inputs: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    outputs: tuple[str, ...] = ()
    # Derived in __post_init__: the steps by id, and the steps reading each name.
    _by_id: dict[str, Step] = field(init=False, repr=False, compare=False)
    _users: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        inputs = _names(self.inputs, "inputs", "inputs")
        steps = tuple(self.steps) if not isinstance(self.steps, str | Mapping) else None
        if steps is None:
            raise WorkflowError(f"steps must be a list of steps, got {_brief(self.steps)}",
                                field="steps")
        outputs = _names(self.outputs, "outputs", "outputs")

        known: dict[str, int] = {}
        for name in inputs:
            _check_name(name, "input", field="inputs")
            if name in known:
                raise WorkflowError(f"input '{name}' is declared twice", field="inputs")
            known[name] = -1
        steps = tuple(_step_from_dict(step, index) if isinstance(step, Mapping) else step
                      for index, step in enumerate(steps))
        for index, step in enumerate(steps):
            if not isinstance(step, Step):
                raise WorkflowError(f"steps[{index}] is not a Step: {_brief(step)}", index=index)
            _check_name(step.id, "step id", index=index, field="id", step=None)
            if step.id in known:
                first = "an input" if known[step.id] < 0 else "another step"
                raise WorkflowError(f"duplicate id '{step.id}': {first} has this name",
                                    step=step.id, index=index, field="id")
            known[step.id] = index
        canonical = [_canonical_step(step, i, known) for i, step in enumerate(steps)]
        for index, step in enumerate(canonical):
            for name, source in step.inputs.items():
                if known[source] >= 0:
                    op = get_operation(canonical[known[source]].op)
                    if not _gives_image(op):
                        raise WorkflowError(
                            f"step '{step.id}': '{name}' takes an image, but step '{source}' "
                            f"({op.name}) gives {_result_words(op)}",
                            step=step.id, index=index, field="inputs")
        ordered = _topological(canonical, known)
        seen: set[str] = set()
        for name in outputs:
            if not isinstance(name, str) or name not in known or known[name] < 0:
                raise WorkflowError(f"output {_brief(name)} is not a step of the workflow",
                                    field="outputs")
            if name in seen:
                raise WorkflowError(f"output '{name}' is declared twice", field="outputs")
            seen.add(name)

        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "steps", tuple(ordered))
        object.__setattr__(self, "outputs", outputs)
        by_id = {step.id: step for step in ordered}
        users: dict[str, list[str]] = {name: [] for name in (*inputs, *by_id)}
        for step in ordered:
            for source in dict.fromkeys(step.inputs.values()):
                users[source].append(step.id)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_users", {k: tuple(v) for k, v in users.items()})

    # --- equality -----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Workflow):
            return NotImplemented
        return (self.inputs == other.inputs and self.outputs == other.outputs
                and self._by_id == other._by_id)

    def __hash__(self) -> int:
        return hash((self.inputs, self.outputs, frozenset(self.steps)))

    def __repr__(self) -> str:
        steps = ", ".join(f"{s.id}={s.op}" for s in self.steps)
        return (f"Workflow(inputs={list(self.inputs)}, steps=[{steps}], "
                f"outputs={list(self.outputs)})")

    # --- queries --------------------------------------------------------------------

    def step(self, step_id: str) -> Step:
        """The step called ``step_id``."""
        try:
            return self._by_id[step_id]
        except (KeyError, TypeError):
            raise WorkflowError(f"no step '{step_id}' in this workflow "
                                f"(steps: {', '.join(self._by_id) or 'none'})") from None

    def __contains__(self, step_id: object) -> bool:
        return step_id in self._by_id

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def step_ids(self) -> tuple[str, ...]:
        """Step ids in topological order."""
        return tuple(self._by_id)

    def topological_order(self) -> tuple[str, ...]:
        """Step ids such that each step comes after every step it reads."""
        return self.step_ids

    @property
    def output_ids(self) -> tuple[str, ...]:
        """What a run returns: the declared outputs, or every leaf if none are declared."""
        return self.outputs or self.leaves()

    def roots(self) -> tuple[str, ...]:
        """Steps that read only workflow inputs."""
        return tuple(s.id for s in self.steps if all(v in self.inputs for v in s.inputs.values()))

    def leaves(self) -> tuple[str, ...]:
        """Steps no other step reads."""
        return tuple(s for s in self._by_id if not self._users[s])

    def users(self, name: str) -> tuple[str, ...]:
        """Steps that read ``name`` (an input or a step id) directly."""
        if name not in self._users:
            raise WorkflowError(f"'{name}' is neither an input nor a step of this workflow")
        return self._users[name]

    def followers(self, name: str) -> tuple[str, ...]:
        """Every step downstream of ``name`` (an input or a step id), in topological order:
        the steps to recompute when it changes."""
        found = set(self.users(name))
        for step in self.steps:
            if step.id in found:
                found.update(self._users[step.id])
        return tuple(s for s in self._by_id if s in found)

    def upstream(self, step_id: str) -> tuple[str, ...]:
        """Every step ``step_id`` depends on, in topological order (not itself)."""
        pending = [v for v in self.step(step_id).inputs.values() if v in self._by_id]
        found: set[str] = set()
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending.extend(v for v in self._by_id[name].inputs.values() if v in self._by_id)
        return tuple(s for s in self._by_id if s in found)

    # --- changes (each returns a new Workflow) ---------------------------------------

    def add_step(self, op: str, inputs: Mapping[str, str] | None = None,
                 params: Mapping[str, Any] | None = None, *, id: str | None = None
                 ) -> Workflow:
        """A workflow with one more step.

        Parameters
        ----------
        op : str
            Registry name of the operation.
        inputs : mapping of str to str
            Image parameter → workflow input name or step id.
        params : mapping of str to value, optional
            Scalar parameters; the others take the operation's defaults.
        id : str, optional
            The new step's id; by default the operation's name, with ``_2``,
            ``_3``... when taken.
        """
        step_id = self._free_id(op) if id is None else id
        return self._replace(steps=(*self.steps, Step(step_id, op, inputs or {}, params or {})))

    def change_step(self, step_id: str, *, op: str | None = None,
                    inputs: Mapping[str, str] | None = None,
                    params: Mapping[str, Any] | None = None) -> Workflow:
        """A workflow with step ``step_id`` changed; the others are unchanged.

        ``inputs`` and ``params`` update the step's (the parameters not named
        keep their values).  With a new ``op``, the step keeps the inputs and
        parameter values whose names the new operation has too (an image
        input also moves over when both operations take exactly one image),
        and the others start from the new operation's defaults.
        """
        old = self.step(step_id)
        new_inputs, new_params = dict(old.inputs), dict(old.params)
        if op is not None and op != old.op:
            try:
                new_op = get_operation(op)
            except (ValueError, TypeError) as error:
                raise WorkflowError(f"step '{step_id}': {error}", step=step_id,
                                    field="op") from None
            image_names = [p.name for p in new_op.image_parameters]
            kept = {k: v for k, v in new_inputs.items() if k in image_names}
            if not kept and len(image_names) == 1 and len(new_inputs) == 1:
                kept = {image_names[0]: next(iter(new_inputs.values()))}
            new_inputs = kept
            scalars = {p.name: p for p in new_op.scalar_parameters}
            kept_params = {}
            for name, value in new_params.items():
                # a value the new operation refuses is dropped: it takes its default
                with contextlib.suppress(TypeError, ValueError):
                    if name in scalars:
                        kept_params[name] = check_scalar(new_op, scalars[name], value)
            new_params = kept_params
        new_inputs.update(inputs or {})
        new_params.update(params or {})
        changed = Step(step_id, op or old.op, new_inputs, new_params)
        return self._replace(steps=tuple(changed if s.id == step_id else s for s in self.steps))

    def remove_step(self, step_id: str) -> Workflow:
        """A workflow without step ``step_id`` (and without it among the outputs).

        Raises
        ------
        WorkflowError
            If other steps read it; the message names them.
        """
        self.step(step_id)
        users = self._users[step_id]
        if users:
            raise WorkflowError(f"step '{step_id}' cannot be removed: "
                                f"{', '.join(repr(u) for u in users)} read it; remove or "
                                f"change those first", step=step_id)
        return self._replace(steps=tuple(s for s in self.steps if s.id != step_id),
                             outputs=tuple(o for o in self.outputs if o != step_id))

    def rename_step(self, step_id: str, new_id: str) -> Workflow:
        """A workflow where step ``step_id`` is called ``new_id`` (references follow)."""
        self.step(step_id)

        def renamed(name: str) -> str:
            return new_id if name == step_id else name

        steps = tuple(Step(renamed(s.id), s.op, {k: renamed(v) for k, v in s.inputs.items()},
                           s.params) for s in self.steps)
        return self._replace(steps=steps, outputs=tuple(map(renamed, self.outputs)))

    def rename_input(self, name: str, new_name: str) -> Workflow:
        """A workflow where input ``name`` is called ``new_name`` (the steps reading
        it follow); refused for a name another input or a step has."""
        if name not in self.inputs:
            raise WorkflowError(f"no input '{name}' in this workflow", field="inputs")
        if new_name == name:
            return self
        if new_name in self._users:
            raise WorkflowError(f"cannot rename input '{name}' to '{new_name}': "
                                f"that name is taken", field="inputs")

        def renamed(source: str) -> str:
            return new_name if source == name else source

        steps = tuple(Step(s.id, s.op, {k: renamed(v) for k, v in s.inputs.items()},
                           s.params) for s in self.steps)
        return self._replace(inputs=tuple(map(renamed, self.inputs)), steps=steps)

    def add_input(self, name: str) -> Workflow:
        """A workflow with one more input called ``name``."""
        return self._replace(inputs=(*self.inputs, name))

    def remove_input(self, name: str) -> Workflow:
        """A workflow without input ``name``; refused while steps read it."""
        if name not in self.inputs:
            raise WorkflowError(f"no input '{name}' in this workflow", field="inputs")
        if self._users[name]:
            raise WorkflowError(f"input '{name}' cannot be removed: "
                                f"{', '.join(repr(u) for u in self._users[name])} read it",
                                field="inputs")
        return self._replace(inputs=tuple(i for i in self.inputs if i != name))

    def with_outputs(self, outputs: Sequence[str]) -> Workflow:
        """A workflow whose declared outputs are ``outputs`` (step ids)."""
        return self._replace(outputs=tuple(_names(outputs, "outputs", "outputs")))

    def _replace(self, **changes: Any) -> Workflow:
        values: dict[str, Any] = {"inputs": self.inputs, "steps": self.steps,
                                  "outputs": self.outputs}
        values.update(changes)
        return Workflow(**values)

    def _free_id(self, op: str) -> str:
        base = op if isinstance(op, str) and op.isidentifier() else "step"
        taken = set(self._users)
        if base not in taken and base not in RESERVED_NAMES:
            return base
        number = 2
        while f"{base}_{number}" in taken:
            number += 1
        return f"{base}_{number}"

    # --- plain data ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The workflow as plain data (what a workflow file holds)."""
        return {"oclip_workflow": SCHEMA_VERSION, "inputs": list(self.inputs),
                "steps": [s.to_dict() for s in self.steps], "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Workflow:
        """The workflow plain data describes (the inverse of :meth:`to_dict`).

        Raises
        ------
        WorkflowError
            For a newer or unknown schema version, unknown keys, wrong types,
            and everything the constructor refuses.
        """
        if not isinstance(data, Mapping):
            raise WorkflowError("a workflow must be a mapping with the keys oclip_workflow, "
                                f"inputs, steps and outputs; got {type(data).__name__}")
        version = data.get("oclip_workflow")
        if version is None:
            raise WorkflowError("this is not an oclip workflow: 'oclip_workflow: "
                                f"{SCHEMA_VERSION}' (the format version) is missing",
                                field="oclip_workflow")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise WorkflowError(f"oclip_workflow must be a version number (1, 2, ...), got "
                                f"{_brief(version)}", field="oclip_workflow")
        if version > SCHEMA_VERSION:
            raise WorkflowError(
                f"this workflow file has format version {version}, newer than this oclip "
                f"reads (version {SCHEMA_VERSION}); update oclip", field="oclip_workflow")
        unknown = [str(k) for k in data if k not in ("oclip_workflow", "inputs", "steps",
                                                        "outputs")]
        if unknown:
            raise WorkflowError(f"unknown key(s) {', '.join(map(_brief, unknown))}; a workflow "
                                f"has oclip_workflow, inputs, steps and outputs",
                                field=unknown[0])
        raw_steps = data.get("steps") or []
        if not isinstance(raw_steps, list):
            raise WorkflowError(f"steps must be a list of steps, got {_brief(raw_steps)}",
                                field="steps")
        steps = [_step_from_dict(item, index) for index, item in enumerate(raw_steps)]
        inputs = data.get("inputs") or []
        if not isinstance(inputs, list):
            raise WorkflowError(f"inputs must be a list of names, got {_brief(inputs)}",
                                field="inputs")
        outputs = data.get("outputs") or []
        if not isinstance(outputs, list):
            raise WorkflowError(f"outputs must be a list of step ids, got {_brief(outputs)}",
                                field="outputs")
        return cls(tuple(inputs), tuple(steps), tuple(outputs))

    # --- replay -------------------------------------------------------------------------

    def run(self, inputs: Mapping[str, Any] | Any, *, outputs: Sequence[str] | None = None,
            reuse: Results | None = None, keep_intermediates: bool = True,
            on_step: Callable[[str], Any] | None = None) -> Results:
        """Compute the workflow's outputs; see :func:`oclip.workflow.run`."""
        return run(self, inputs, outputs=outputs, reuse=reuse,
                   keep_intermediates=keep_intermediates, on_step=on_step)

    def run_time_lapse(self, inputs: Mapping[str, Any] | Any, *, static: Sequence[str] = (),
                       outputs: Sequence[str] | None = None,
                       progress: Any = None) -> dict[str, Any]:
        """Run per time point and stack the outputs; see :func:`oclip.workflow.run_time_lapse`."""
        return run_time_lapse(self, inputs, static=static, outputs=outputs, progress=progress)


_STEP_KEYS = ("id", "op", "inputs", "params")


def _step_from_dict(item: Any, index: int) -> Step:
    if not isinstance(item, Mapping):
        raise WorkflowError(f"steps[{index}] must be a mapping with id, op, inputs and params, "
                            f"got {_brief(item)}", index=index)
    step_id: Any = item.get("id")  # a Step checks its id when the Workflow is built
    where = f"step {_brief(step_id)}" if isinstance(step_id, str) else f"steps[{index}]"
    context: dict[str, Any] = {"step": step_id if isinstance(step_id, str) else None,
                               "index": index}
    unknown = [str(k) for k in item if k not in _STEP_KEYS]
    if unknown:
        raise WorkflowError(f"{where}: unknown key(s) {', '.join(map(_brief, unknown))}; a step "
                            f"has id, op, inputs and params", field="id", **context)
    for key in ("id", "op"):
        if key not in item:
            raise WorkflowError(f"{where}: '{key}' is missing", field="id", **context)
    for key in ("inputs", "params"):
        value = item.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise WorkflowError(f"{where}: {key} must be a mapping (name: value), got "
                                f"{_brief(value)}", field=key, **context)
    return Step(step_id, item["op"], item.get("inputs") or {}, item.get("params") or {})


def _topological(steps: Sequence[Step], known: Mapping[str, int]) -> list[Step]:
    """Steps in topological order, ties broken by position; a cycle raises."""
    position = {s.id: i for i, s in enumerate(steps)}
    waiting = {s.id: {v for v in s.inputs.values() if known[v] >= 0} for s in steps}
    users: dict[str, list[str]] = {s.id: [] for s in steps}
    for s in steps:
        for source in waiting[s.id]:
            users[source].append(s.id)
    ready = [position[s] for s, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        step = steps[heapq.heappop(ready)]
        ordered.append(step)
        for user in users[step.id]:
            waiting[user].discard(step.id)
            if not waiting[user]:
                heapq.heappush(ready, position[user])
    if len(ordered) < len(steps):
        blocked = {s for s, deps in waiting.items() if deps}
        cycle = _find_cycle(blocked, waiting)[:-1]
        first = min(cycle, key=position.__getitem__)
        start = cycle.index(first)
        cycle = [*cycle[start:], *cycle[:start], first]  # from the first step in the file
        length = ""
        if len(cycle) > 8:  # a file may hold a cycle through thousands of steps
            length = f"{len(cycle) - 1} steps; "
            cycle = [*cycle[:4], "...", *cycle[-3:]]
        raise WorkflowError(f"cycle: {' → '.join(cycle)} ({length}a step cannot read its own "
                            f"result)", step=first, index=position[first], field="inputs")
    return ordered


def _find_cycle(blocked: set[str], waiting: Mapping[str, set[str]]) -> list[str]:
    """A cycle among ``blocked`` steps, as ids with the first repeated at the end."""
    start = min(blocked)
    path: list[str] = []
    seen: dict[str, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(d for d in waiting[node] if d in blocked)
    # each blocked step waits on a blocked step, so following them must come back
    cycle = path[seen[node]:]
    # print in reading order: a → b means "b reads a"
    cycle.reverse()
    return [*cycle, cycle[0]]

