"""Replay: compute a workflow's outputs on the device, reusing unchanged results.

:func:`run` pushes each input once, chains device arrays from step to step
and returns a :class:`Results` mapping that pulls an output to numpy only when
it is read.  Given the :class:`Results` of an earlier run (``reuse=``), it
recomputes only the steps a change touched.

The step cache
--------------
Each step result is stored under a *key*: the step's operation, its
parameter values and the keys of the images it reads, recursively down to the
inputs.  A workflow input's key is the identity of the object passed (the
same numpy or device array object); the Results keep those objects alive, so
an identity is never confused with a later object's.  A step whose key is in
the earlier Results is taken from there instead of being computed.  So
changing a parameter of a late step recomputes that step and its followers
only, and a step id or a declared output can change without any recomputation.

An input array changed *in place* keeps its identity: pass a new array (or a
copy) when the data changed, or run without ``reuse``.

A viewer that shows every step as a layer (the napari assistant) runs with
``outputs=workflow.step_ids`` and ``reuse=`` the previous Results after each
change, and updates the layers of ``results.computed`` only;
``workflow.followers(step_id)`` names the results a change makes stale before
the run ends.  pyopencl is not thread-safe: run on one worker thread.

Time-lapse
----------
A time-lapse is declared per call: :func:`run_time_lapse` takes inputs with a
leading time axis, (t, y, x) or (t, z, y, x), runs the workflow on each time
point and stacks the outputs along a new first axis.  Inputs named in
``static`` have no time axis and serve every time point (e.g. a flat-field
image); steps that read only static inputs are computed once.
"""

from __future__ import annotations

import reprlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _backend as backend
from .._errors import Cancelled, OclipError
from ..ops import get_operation
from ._errors import WorkflowError

if TYPE_CHECKING:
    # only for annotations: the model imports this module (Workflow.run delegates here)
    from ._model import Workflow

Key = tuple


class Results(Mapping[str, Any]):
    """What :func:`run` computed: the requested outputs, pulled to numpy when read.

    ``results[step_id]`` is a numpy array (a table: dict of numpy columns);
    the first read pulls it from the device, later reads return the same
    object.  ``results.device(step_id)`` gives the device array without a
    transfer.

    Attributes
    ----------
    workflow : Workflow
        The workflow that was run.
    outputs : tuple of str
        The step ids this mapping holds, in the order requested.
    computed : tuple of str
        Steps whose operation ran in this run, in the order they ran.
    reused : tuple of str
        Steps taken from the ``reuse`` Results (or from an identical step).
    """

    def __init__(self, workflow: Workflow, outputs: tuple[str, ...],
                 entries: dict[Key, Any], keys: dict[str, Key], inputs: dict[str, Any],
                 computed: tuple[str, ...], reused: tuple[str, ...]) -> None:
        self.workflow = workflow
        self.outputs = outputs
        self.computed = computed
        self.reused = reused
        self._entries = entries
        self._keys = keys
        self._inputs = inputs  # keeps input objects alive: their identity is their key
        self._host: dict[str, Any] = {}

    def __getitem__(self, step_id: str) -> Any:
        if step_id not in self.outputs:
            raise KeyError(f"{step_id!r} is not among the outputs of this run "
                           f"({', '.join(self.outputs)}); ask for it with outputs=[...]")
        if step_id not in self._host:
            self._host[step_id] = _pull(self.device(step_id))
        return self._host[step_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    def device(self, step_id: str) -> Any:
        """The result of ``step_id`` as it is on the device (a device array, or a
        table of device arrays).  Every step of the run is available unless it
        ran with ``keep_intermediates=False``."""
        key = self._keys.get(step_id)
        if key is None or key not in self._entries or step_id not in self.workflow:
            raise KeyError(f"{step_id!r}: no result of that step is kept in these Results")
        return self._entries[key]

    def __repr__(self) -> str:
        return (f"<Results of {', '.join(self.outputs)}: computed {list(self.computed)}, "
                f"reused {list(self.reused)}>")


def _pull(value: Any) -> Any:
    if backend.is_device_array(value):
        return backend.pull(value)
    if isinstance(value, Mapping):
        return {name: _pull(column) for name, column in value.items()}
    return value


def input_mapping(workflow: Workflow, inputs: Mapping[str, Any] | Any) -> dict[str, Any]:
    """``inputs`` as a dict by input name (a single array for a one-input workflow)."""
    if not isinstance(inputs, Mapping):
        if len(workflow.inputs) != 1:
            raise WorkflowError(f"this workflow takes {len(workflow.inputs)} inputs "
                                f"({', '.join(workflow.inputs) or 'none'}): pass a dict "
                                f"of input name to image")
        return {workflow.inputs[0]: inputs}
    unknown = [str(n) for n in inputs if n not in workflow.inputs]
    if unknown:
        raise WorkflowError(f"unknown input(s) {', '.join(map(repr, unknown))}; this workflow "
                            f"takes {', '.join(workflow.inputs) or 'no inputs'}")
    return dict(inputs)


def requested_outputs(workflow: Workflow, outputs: Sequence[str] | None) -> tuple[str, ...]:
    if outputs is None:
        return workflow.output_ids
    if isinstance(outputs, str):
        outputs = (outputs,)
    for name in outputs:
        workflow.step(name)
    return tuple(dict.fromkeys(outputs))


def _push(name: str, value: Any) -> Any:
    if backend.is_device_array(value):
        return value
    return backend.push(backend.as_host_array(value, f"input '{name}'"))


def _call(step: Any, arguments: dict[str, Any]) -> Any:
    """Run one step; an error says which step it was, in its message (which a report
    shows) for bad arguments (their messages name the parameter), oclip's errors
    (with the step's parameters) and memory errors, in a note for others."""
    try:
        return get_operation(step.op).function(**arguments)
    except Cancelled:  # not the step's fault: it says nothing about the step
        raise
    except (TypeError, ValueError) as error:
        if type(error) in (TypeError, ValueError):
            raise type(error)(f"step '{step.id}': {error}") from error
        error.add_note(f"in workflow {_step_words(step)}")  # a subclass keeps its message
        raise
    except MemoryError as error:  # numpy's own subclass words its message from its fields
        if type(error) is not MemoryError:
            raise MemoryError(f"{_step_words(step)}: {error}") from error
        _name_the_step(error, step)
        raise
    except OclipError as error:  # a device out of memory, a kernel that fails to build...
        _name_the_step(error, step)
        raise
    except Exception as error:  # anything else keeps its message (a viewer shows it as is)
        error.add_note(f"in workflow {_step_words(step)}")
        raise


def _step_words(step: Any) -> str:
    """``step 'blurred' (gaussian_blur, sigma_x=2.0, ...)``, for messages."""
    shortened = reprlib.Repr()
    shortened.maxstring = shortened.maxother = 40
    params = "".join(f", {name}={shortened.repr(value)}" for name, value in step.params.items())
    return f"step '{step.id}' ({step.op}{params})"


def _name_the_step(error: BaseException, step: Any) -> None:
    """Put the step before ``error``'s message, where a report (``str(error)``) shows it.

    The error itself is kept (its type, attributes and traceback: ``except
    oclip.DeviceMemoryError`` still catches it); an error that words its message
    otherwise than from its arguments gets a note instead.
    """
    words = _step_words(step)
    original = error.args
    message = str(error)
    error.args = (f"{words}: {message}" if message else words,)
    if str(error) != error.args[0]:
        error.args = original
        error.add_note(f"in workflow {words}")


def run(workflow: Workflow, inputs: Mapping[str, Any] | Any, *,
        outputs: Sequence[str] | None = None, reuse: Results | None = None,
        keep_intermediates: bool = True,
        on_step: Callable[[str], Any] | None = None) -> Results:
    """Compute a workflow's outputs, keeping intermediates on the device.

    Parameters
    ----------
    workflow : Workflow
    inputs : mapping of str to array
        Input name → numpy array or device array (from ``oclip.push``).  A
        one-input workflow also takes the array itself.  Only the inputs the
        requested outputs need must be given.
    outputs : sequence of str, optional
        Step ids to compute (default: ``workflow.output_ids``).  Their
        upstream steps run too.
    reuse : Results, optional
        An earlier run's results: steps whose operation, parameters and
        upstream are unchanged (and whose inputs are the same objects) are
        taken from there, not recomputed.  The earlier Results stay valid.
    keep_intermediates : bool
        Keep every step's device array in the Results (what ``reuse`` needs to
        skip unchanged steps that are not outputs).  False releases each
        intermediate as soon as the steps reading it have run: less device
        memory, for batch runs.
    on_step : callable, optional
        Called as ``on_step(step_id)`` before each step that computes (not for
        reused steps), in the thread that runs: a viewer says which step runs.

    Returns
    -------
    Results
        Mapping of output id → numpy array (table: dict of numpy columns),
        pulled when read; ``.computed`` and ``.reused`` name the steps that ran
        and those that were reused.

    Raises
    ------
    oclip.Cancelled
        If the run's work scope was cancelled (see ``oclip._backend.watched_by``);
        the ``reuse`` Results stay as they were.
    """
    given = input_mapping(workflow, inputs)
    wanted = requested_outputs(workflow, outputs)
    needed = set(wanted)
    for name in wanted:
        needed.update(workflow.upstream(name))
    steps = [s for s in workflow.steps if s.id in needed]
    sources = [v for s in steps for v in s.inputs.values()]
    needed_inputs = [n for n in workflow.inputs if n in sources]
    missing = [n for n in needed_inputs if n not in given]
    if missing:
        raise WorkflowError(f"input(s) {', '.join(map(repr, missing))} missing: this run "
                            f"needs {', '.join(needed_inputs)}")

    # Keys first (they depend on the structure and the input objects only).
    keys: dict[str, Key] = {name: ("input", id(given[name])) for name in needed_inputs}
    for step in steps:
        keys[step.id] = (step.op, tuple(step.params.items()),
                         tuple((p, keys[src]) for p, src in step.inputs.items()))
    readers = Counter(keys[src] for src in sources)
    protected = {keys[name] for name in wanted}

    previous = reuse._entries if reuse is not None else {}
    entries: dict[Key, Any] = {}
    for name in needed_inputs:
        key = keys[name]
        if key not in entries:
            entries[key] = previous[key] if key in previous else _push(name, given[name])
    computed: list[str] = []
    reused: list[str] = []
    for step in steps:
        key = keys[step.id]
        if key in entries:
            reused.append(step.id)
        elif key in previous:
            entries[key] = previous[key]
            reused.append(step.id)
        else:
            arguments = {p: entries[keys[src]] for p, src in step.inputs.items()}
            arguments.update(step.params)
            if on_step is not None:
                on_step(step.id)
            entries[key] = _call(step, arguments)
            computed.append(step.id)
        if not keep_intermediates:
            for src in step.inputs.values():
                readers[keys[src]] -= 1
                if readers[keys[src]] == 0 and keys[src] not in protected:
                    entries.pop(keys[src], None)
    held = {name: given[name] for name in needed_inputs}
    return Results(workflow, wanted, entries, keys, held, tuple(computed), tuple(reused))


def run_time_lapse(workflow: Workflow, inputs: Mapping[str, Any] | Any, *,
                   static: Sequence[str] = (), outputs: Sequence[str] | None = None,
                   progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
    """Run a workflow on every time point of a time-lapse and stack the outputs.

    Parameters
    ----------
    workflow : Workflow
    inputs : mapping of str to array
        Input name → array with a leading time axis, (t, y, x) or (t, z, y, x),
        the same number of time points for each; inputs named in ``static``
        have no time axis.  A one-input workflow also takes the array itself.
    static : sequence of str
        Inputs without a time axis, used at every time point.
    outputs : sequence of str, optional
        Step ids to compute (default: ``workflow.output_ids``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each time point; an
        exception it raises stops the run.

    Returns
    -------
    dict of str to numpy array or table
        Each image output stacked along a new first axis (time); each table
        concatenated, with a first column ``frame`` giving the time point.
    """
    given = input_mapping(workflow, inputs)
    if isinstance(static, str):
        static = (static,)
    for name in static:
        if name not in workflow.inputs:
            raise WorkflowError(f"static input '{name}' is not an input of this workflow")
    series = {}
    for name, value in given.items():
        if name in static:
            continue
        array = value if backend.is_device_array(value) else np.asarray(value)
        if array.ndim not in (3, 4):
            raise WorkflowError(
                f"input '{name}' must be a time-lapse with axes (t, y, x) or (t, z, y, x), got "
                f"shape {array.shape}; name inputs without a time axis in static=[...]")
        series[name] = array
    if not series:
        raise WorkflowError("no time-lapse input: every input is static")
    lengths = {name: array.shape[0] for name, array in series.items()}
    if len(set(lengths.values())) != 1:
        raise WorkflowError("the time-lapse inputs have different numbers of time points: "
                            + ", ".join(f"{n}: {t}" for n, t in lengths.items()))
    total = next(iter(lengths.values()))
    if total == 0:
        raise WorkflowError("the time-lapse has no time points")
    fixed = {name: value for name, value in given.items() if name in static}
    collected: dict[str, list[Any]] = {}
    previous: Results | None = None
    for t in range(total):
        frame = {name: array[t] for name, array in series.items()}
        frame.update(fixed)
        results = run(workflow, frame, outputs=outputs, reuse=previous)
        for name in results.outputs:
            collected.setdefault(name, []).append(results[name])
        previous = results
        if progress is not None:
            progress(t + 1, total)
    return {name: _stack(name, values) for name, values in collected.items()}


def _stack(name: str, values: list[Any]) -> Any:
    if isinstance(values[0], Mapping):
        if "frame" in values[0]:
            raise WorkflowError(f"output '{name}': the table already has a column 'frame'")
        frames = [np.full(len(next(iter(v.values()), ())), t, np.int32)
                  for t, v in enumerate(values)]
        table = {"frame": np.concatenate(frames)}
        for column in values[0]:
            table[column] = np.concatenate([np.asarray(v[column]) for v in values])
        return table
    return np.stack([np.asarray(v) for v in values])
