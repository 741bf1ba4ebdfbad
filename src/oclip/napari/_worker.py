"""The one thread that does all of the plugin's OpenCL work.

pyopencl's kernel calls are not thread-safe, and a computation must never
block napari, so every job of the plugin runs here, one after the other.
Jobs carry a *lane*: a job waiting in a lane is replaced by a newer one of the
same lane (when a slider moves faster than the device computes, only the
newest value is computed).  A *background* job runs only when no other job
waits (work done ahead, such as building kernels before their first use).
Results come back as Qt signals, delivered on the main thread.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from qtpy.QtCore import QObject, Signal

logger = logging.getLogger("oclip")

#: Every worker whose thread may still run.  The threads are daemons, so that
#: closing a viewer never waits for a computation; at interpreter exit the
#: workers are closed and a running job is waited for (a kernel is not cut off).
_workers: weakref.WeakSet[ComputeWorker] = weakref.WeakSet()


@atexit.register
def _close_workers(timeout: float = 10.0) -> None:
    for worker in list(_workers):
        worker.close(timeout)


class ComputeWorker(QObject):
    """A background thread running submitted jobs in order.

    Signals
    -------
    finished(ticket, value)
        A job returned ``value``; emitted on the main thread.
    failed(ticket, error)
        A job raised ``error``.
    progress(ticket, done, total)
        A job reported progress through the ``report`` callable it was given.
    dropped(ticket)
        A waiting job was replaced by a newer one of its lane; it never runs.
    started(ticket)
        A job started running.
    ended(ticket, more)
        A job ended (after its ``finished`` or ``failed``); ``more``: other
        jobs wait.
    """

    finished = Signal(object, object)
    failed = Signal(object, object)
    progress = Signal(object, int, int)
    dropped = Signal(object)
    started = Signal(object)
    ended = Signal(object, bool)

    def __init__(self) -> None:
        super().__init__()
        self._tickets = itertools.count(1)
        self._condition = threading.Condition()
        self._waiting: dict[Hashable, tuple[int, Callable[..., Any]]] = {}
        self._order: list[Hashable] = []
        self._background: set[Hashable] = set()
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="oclip-compute", daemon=True)
        self._thread.start()
        _workers.add(self)

    def submit(self, job: Callable[..., Any], *, lane: Hashable | None = None,
               reports: bool = False, background: bool = False) -> int:
        """Queue ``job`` and return its ticket.

        A job still waiting in the same ``lane`` is dropped (its ticket never
        finishes).  With ``reports``, the job is called with a
        ``report(done, total)`` callable that emits :attr:`progress`.  A
        ``background`` job waits until no other job waits.
        """
        ticket = next(self._tickets)
        key = lane if lane is not None else ("ticket", ticket)
        replaced = None
        with self._condition:
            if self._closed:
                raise RuntimeError("the compute worker is closed")
            if key in self._waiting:
                self._order.remove(key)
                replaced = self._waiting[key][0]
            self._waiting[key] = (ticket, self._with_report(ticket, job) if reports else job)
            self._order.append(key)
            if background:
                self._background.add(key)
            else:
                self._background.discard(key)
            self._condition.notify()
        if replaced is not None:
            self.dropped.emit(replaced)
        return ticket

    def _with_report(self, ticket: int, job: Callable[..., Any]) -> Callable[[], Any]:
        return lambda: job(lambda done, total: self.progress.emit(ticket, done, total))

    @property
    def idle(self) -> bool:
        """No job running or waiting."""
        with self._condition:
            return not self._busy and not self._order

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._order and not self._closed:
                    self._condition.wait()
                if self._closed:
                    return
                key = next((k for k in self._order if k not in self._background),
                           self._order[0])
                self._order.remove(key)
                self._background.discard(key)
                ticket, job = self._waiting.pop(key)
                self._busy = True
            self._emit(self.started, ticket)
            try:
                value = job()
            except Exception as error:  # reported to the user, never lost
                logger.debug("oclip job %s failed", ticket, exc_info=True)
                self._emit(self.failed, ticket, error)
            else:
                self._emit(self.finished, ticket, value)
            finally:
                with self._condition:
                    self._busy = False
                    more = bool(self._order)
                self._emit(self.ended, ticket, more)

    def _emit(self, signal: Any, ticket: int, *values: Any) -> None:
        if self._closed:
            return
        try:
            signal.emit(ticket, *values)
        except RuntimeError:  # the QObject is gone: the viewer was closed
            self._closed = True

    def close(self, timeout: float = 10.0) -> None:
        """Drop waiting jobs and stop the thread after the running job, waiting
        for it at most ``timeout`` seconds (0: return at once; the thread ends
        by itself when its job returns, and no result is emitted after this)."""
        with self._condition:
            self._closed = True
            self._waiting.clear()
            self._order.clear()
            self._background.clear()
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
