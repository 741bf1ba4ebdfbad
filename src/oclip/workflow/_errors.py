"""The error of workflows that cannot be built, loaded or run.

It has a module of its own, below both the model and the replay, so that the
replay raises it without importing the model (which delegates its ``run``
methods to the replay).
"""

from __future__ import annotations


class WorkflowError(ValueError):
    """A workflow that cannot be built, loaded or run, with the reason.

    Attributes
    ----------
    step : str or None
        The id of the step concerned, if any.
    index : int or None
        The position of that step in the sequence of steps given.
    field : str or None
        Which part is wrong: ``"id"``, ``"op"``, ``"inputs"``, ``"params"`` of a
        step, or ``"inputs"``, ``"steps"``, ``"outputs"``, ``"oclip_workflow"``
        of the workflow.
    """

    def __init__(self, message: str, *, step: str | None = None, index: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.index = index
        self.field = field
