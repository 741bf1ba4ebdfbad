"""Undo and redo over Workflow states."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from ._model import Workflow


class History:
    """Undo/redo over workflows, keeping at most ``limit`` undo steps.

    Every change of the workflow is a new :class:`Workflow`; :meth:`push` it.
    Pushes with the same ``group`` in a row merge into one undo step, so that
    the values a slider passes through while it is dragged undo at once::

        history.push(workflow.change_step("blurred", params={"sigma_x": 2.5}),
                     group=("params", "blurred"))

    Parameters
    ----------
    workflow : Workflow, optional
        The first state (default: an empty workflow).
    limit : int
        How many undo steps are kept; older ones are dropped.
    """

    def __init__(self, workflow: Workflow | None = None, *, limit: int = 100) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"History: limit must be a positive integer, got {limit!r}")
        self.limit = limit
        self._current = workflow if workflow is not None else Workflow()
        self._undo: deque[Workflow] = deque(maxlen=limit)
        self._redo: list[Workflow] = []
        self._group: Hashable | None = None

    @property
    def current(self) -> Workflow:
        """The workflow as it is now."""
        return self._current

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def push(self, workflow: Workflow, *, group: Hashable | None = None) -> Workflow:
        """Make ``workflow`` the current state; returns it.

        A workflow equal to the current one changes nothing.  Otherwise the
        redo states are dropped.  With a ``group`` equal to the previous
        push's, the current state is replaced instead of kept for undo.
        """
        if not isinstance(workflow, Workflow):
            raise TypeError(f"History.push: expected a Workflow, got {type(workflow).__name__}")
        if workflow == self._current:
            return self._current
        if group is None or group != self._group or not self._undo:
            self._undo.append(self._current)
        elif workflow == self._undo[-1]:
            # the group came back to where it started: no undo step left to show for it
            self._current = self._undo.pop()
            self._redo.clear()
            self._group = None
            return self._current
        self._current = workflow
        self._redo.clear()
        self._group = group
        return workflow

    def undo(self) -> Workflow:
        """Go back one state and return it.

        Raises
        ------
        IndexError
            If there is nothing to undo (see :attr:`can_undo`).
        """
        if not self._undo:
            raise IndexError("nothing to undo")
        self._redo.append(self._current)
        self._current = self._undo.pop()
        self._group = None
        return self._current

    def redo(self) -> Workflow:
        """Go forward one undone state and return it.

        Raises
        ------
        IndexError
            If there is nothing to redo (see :attr:`can_redo`).
        """
        if not self._redo:
            raise IndexError("nothing to redo")
        self._undo.append(self._current)
        self._current = self._redo.pop()
        self._group = None
        return self._current

    def __len__(self) -> int:
        """Number of states held (undo states, the current one, redo states)."""
        return len(self._undo) + 1 + len(self._redo)
