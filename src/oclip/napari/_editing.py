"""The changes a person makes to a viewer's workflow, each one undoable.

Every change makes a new :class:`~oclip.workflow.Workflow`, pushed onto the
undo history; layers a step is given are turned into workflow names by the
:class:`~oclip.napari._layers.LayerBinding` (a layer new to the workflow
becomes an input).  After every change, undo and redo included, the owner is
told (``on_change``), which brings the layers in line and recomputes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from napari.layers import Layer

from oclip.workflow import History, Workflow, WorkflowError

from ._layers import LayerBinding, python_name


def free_name(wanted: str, workflow: Workflow, keep: str) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``... the first that no input or step
    of ``workflow`` other than ``keep`` is called."""
    taken = (set(workflow.inputs) | set(workflow.step_ids)) - {keep}
    name, number = wanted, 2
    while name in taken:
        name, number = f"{wanted}_{number}", number + 1
    return name


class WorkflowEditor:
    """Adds, changes and removes the steps of a viewer's workflow; undo, redo, load.

    Parameters
    ----------
    layers : LayerBinding
        The binding of the viewer's layers to workflow names.
    on_change : callable
        Called with no argument after every change of :attr:`workflow`.
    """

    def __init__(self, layers: LayerBinding, on_change: Callable[[], None]) -> None:
        self.history = History()
        self._layers = layers
        self._on_change = on_change

    @property
    def workflow(self) -> Workflow:
        """The viewer's workflow as it is now."""
        return self.history.current

    def add_step(self, op: str, layers: Mapping[str, Layer],
                 params: Mapping[str, Any] | None = None) -> str:
        """Add a step running ``op`` on ``layers`` (image parameter → layer).

        Returns the new step's id; its result layer appears when computed.
        """
        workflow = self.workflow
        inputs = {}
        for parameter, layer in layers.items():
            inputs[parameter], workflow = self._layers.source_name(layer, workflow)
        before = set(workflow.step_ids)
        workflow = workflow.add_step(op, inputs, params or {})
        step_id = next(s for s in workflow.step_ids if s not in before)
        self._commit(workflow)
        return step_id

    def change_step(self, step_id: str, *, op: str | None = None,
                    params: Mapping[str, Any] | None = None,
                    layers: Mapping[str, Layer] | None = None,
                    sources: Mapping[str, str] | None = None) -> None:
        """Change a step's operation, parameter values or inputs (given as
        ``layers``, or as workflow names in ``sources``), and recompute.

        Changes of one parameter in a row merge into one undo step.
        """
        workflow = self.workflow
        inputs = dict(sources or {})
        for parameter, layer in (layers or {}).items():
            inputs[parameter], workflow = self._layers.source_name(layer, workflow)
        workflow = workflow.change_step(step_id, op=op, params=params, inputs=inputs or None)
        group = ("params", step_id, tuple(sorted(params))) if params and not (op or inputs) \
            else None
        self._commit(workflow, group=group)

    def remove_step(self, step_id: str, *, with_followers: bool = False) -> None:
        """Remove a step (and, if asked, the steps that read it) and their layers."""
        workflow = self.workflow
        doomed = [step_id, *workflow.followers(step_id)] if with_followers else [step_id]
        for sid in reversed([s for s in workflow.step_ids if s in doomed]):
            workflow = workflow.remove_step(sid)
        self._commit(workflow)

    def undo(self) -> None:
        if self.history.can_undo:
            self.history.undo()
            self._on_change()

    def redo(self) -> None:
        if self.history.can_redo:
            self.history.redo()
            self._on_change()

    @property
    def layers(self) -> LayerBinding:
        """The binding of the viewer's layers to the workflow's names."""
        return self._layers

    def load(self, workflow: Workflow, layers: Mapping[str, Layer]) -> Workflow:
        """Replace the workflow by ``workflow`` with its inputs read from ``layers``.

        Each input is renamed after the layer it reads (``nuclei`` read from
        the layer "cells" becomes ``cells``), the result layers shown so far
        stay in the viewer as they are (the loaded steps get layers of their
        own), and the undo history starts afresh.  Returns the workflow as
        loaded (with its inputs renamed).
        """
        missing = [name for name in workflow.inputs if name not in layers]
        if missing:
            raise ValueError(f"no layer given for the workflow input(s) {', '.join(missing)}")
        by_name = dict(layers)
        for name in workflow.inputs:
            new_name = free_name(python_name(by_name[name].name), workflow, keep=name)
            try:
                renamed = workflow.rename_input(name, new_name)
            except WorkflowError:  # a name a workflow cannot have ("oclip"): kept
                continue
            if renamed is not workflow:
                workflow = renamed
                by_name[new_name] = by_name.pop(name)
        self._layers.rebind_inputs({name: by_name[name] for name in workflow.inputs})
        self._layers.release_results()
        self.history = History(workflow, limit=self.history.limit)
        self._on_change()
        return workflow

    def _commit(self, workflow: Workflow, *, group: Any = None) -> None:
        self.history.push(workflow, group=group)
        self._on_change()
