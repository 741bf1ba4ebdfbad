"""Watching a thread's device work: a cancel flag and a report of kernel builds.

A :class:`WorkScope` is entered on the thread that does the work
(:func:`watched_by`); another thread may call :meth:`WorkScope.cancel` at any
time.  The backend calls :func:`check_cancelled` before each kernel launch,
program build and transfer, which raises :class:`oclip.Cancelled` in the
working thread once the flag is set: work stops between two device commands
(a kernel that runs is never cut off).  :func:`building` tells the scope's
``on_build`` that a program is being compiled (a first use), so that a user
interface can say why it waits.  Threads outside any scope are not watched.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from .._errors import Cancelled

_watched = threading.local()


class WorkScope:
    """A cancel flag (thread-safe) and an observer of kernel builds.

    Parameters
    ----------
    on_build : callable, optional
        Called as ``on_build(name)`` in the working thread before a program
        named ``name`` is compiled.
    """

    def __init__(self, on_build: Callable[[str], None] | None = None) -> None:
        self.on_build = on_build
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop the scope's work at its next device command (from any thread)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled.is_set()


def current_scope() -> WorkScope | None:
    """The innermost scope this thread works in, or None."""
    stack: list[WorkScope] = getattr(_watched, "stack", [])
    return stack[-1] if stack else None


@contextlib.contextmanager
def watched_by(scope: WorkScope) -> Iterator[WorkScope]:
    """Do the block's device work in ``scope`` (scopes nest; any of them cancels)."""
    stack: list[WorkScope] = getattr(_watched, "stack", None) or []
    _watched.stack = stack
    stack.append(scope)
    try:
        yield scope
    finally:
        stack.pop()


def check_cancelled(what: str) -> None:
    """Raise :class:`oclip.Cancelled` if a scope of this thread was cancelled.

    ``what`` names the device command about to start, for the message.
    """
    for scope in getattr(_watched, "stack", ()):
        if scope.cancelled:
            raise Cancelled(f"cancelled before {what}")


def building(name: str) -> None:
    """Tell this thread's scopes that program ``name`` is about to be compiled
    (and stop first if one was cancelled)."""
    check_cancelled(f"building {name}")
    for scope in getattr(_watched, "stack", ()):
        if scope.on_build is not None:
            scope.on_build(name)
