"""The jobs of one viewer on its compute thread, and what becomes of their results.

Each job submitted gets a *ticket*; when it returns, the handler given with it
runs on the main thread.  Recomputations of the workflow share one lane of
the worker, so that of several waiting ones only the newest runs; and only the
newest recomputation counts: the result of an older one is not handed on, and
its failure is not reported (a newer change is on its way).  A job stopped by
:class:`oclip.Cancelled` is no failure: it is told as :attr:`ComputeJobs.cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QObject, Signal

from oclip import Cancelled

from ._worker import ComputeWorker

#: The worker lane of workflow recomputations.
_RECOMPUTE = "compute"


class ComputeJobs(QObject):
    """Submits jobs to a :class:`ComputeWorker` and hands their results on.

    Signals
    -------
    failed(message)
        A job failed (a stale recomputation fails silently).
    cancelled()
        A job was cancelled (it raised :class:`oclip.Cancelled`).
    busy_changed(busy)
        The compute thread started working (True) or has no job left (False).
    """

    failed = Signal(str)
    cancelled = Signal()
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.worker = ComputeWorker()
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.dropped.connect(self._dropped)
        self.worker.progress.connect(self._progressed)
        self.worker.started.connect(self._started)
        self.worker.ended.connect(self._ended)
        self.busy = False  # as last told by busy_changed
        self._handlers: dict[int, Callable[[Any], None]] = {}
        self._endings: dict[int, Callable[[], None]] = {}
        self._progress: dict[int, Callable[[int, int], None]] = {}
        self._recomputations: set[int] = set()
        self._latest_recomputation = 0

    @property
    def idle(self) -> bool:
        """No job running or waiting, and every result handed on."""
        return self.worker.idle and not self._handlers

    def call(self, job: Callable[[], Any], on_done: Callable[[Any], None], *,
             background: bool = False) -> int:
        """Run ``job`` on the compute thread, then ``on_done(value)`` on this one
        (a ``background`` job: once no other job waits)."""
        ticket = self.worker.submit(job, background=background)
        self._handlers[ticket] = on_done
        return ticket

    def recompute(self, job: Callable[[], Any], on_done: Callable[[Any], None]) -> int:
        """Run a recomputation ``job``, replacing a waiting one; ``on_done(value)``
        runs only if no newer recomputation was submitted meanwhile."""
        ticket = self.worker.submit(job, lane=_RECOMPUTE)
        self._latest_recomputation = ticket
        self._recomputations.add(ticket)
        self._handlers[ticket] = lambda value: self._hand_on_if_latest(ticket, value, on_done)
        return ticket

    def call_with_progress(self, job: Callable[[Callable[[int, int], None]], Any],
                           on_done: Callable[[Any], None],
                           on_progress: Callable[[int, int], None],
                           on_end: Callable[[], None]) -> int:
        """Run ``job(report)``; each ``report(done, total)`` calls ``on_progress``
        here, and ``on_end()`` runs when the job ends, before ``on_done``, or
        after a failure."""
        ticket = self.worker.submit(job, reports=True)
        self._handlers[ticket] = on_done
        self._progress[ticket] = on_progress
        self._endings[ticket] = on_end
        return ticket

    def close(self) -> None:
        """Stop the compute thread without waiting for a running job (whose
        result is then dropped)."""
        self.worker.close(timeout=0)

    def _hand_on_if_latest(self, ticket: int, value: Any,
                           on_done: Callable[[Any], None]) -> None:
        self._recomputations.discard(ticket)
        if ticket == self._latest_recomputation:
            on_done(value)

    def _end(self, ticket: int) -> None:
        self._progress.pop(ticket, None)
        ending = self._endings.pop(ticket, None)
        if ending is not None:
            ending()

    def _progressed(self, ticket: int, done: int, total: int) -> None:
        report = self._progress.get(ticket)
        if report is not None:
            report(done, total)

    def _finished(self, ticket: int, value: Any) -> None:
        handler = self._handlers.pop(ticket, None)
        self._end(ticket)
        if handler is not None:
            handler(value)

    def _dropped(self, ticket: int) -> None:
        self._handlers.pop(ticket, None)
        self._recomputations.discard(ticket)
        self._end(ticket)

    def _started(self, ticket: int) -> None:
        if not self.busy:
            self.busy = True
            self.busy_changed.emit(True)

    def _ended(self, ticket: int, more: bool) -> None:
        if self.busy and not more:
            self.busy = False
            self.busy_changed.emit(False)

    def _failed(self, ticket: int, error: Exception) -> None:
        self._handlers.pop(ticket, None)
        self._end(ticket)
        if isinstance(error, Cancelled):
            self._recomputations.discard(ticket)
            self.cancelled.emit()
            return
        if ticket not in self._recomputations or ticket == self._latest_recomputation:
            self.failed.emit(str(error))
        self._recomputations.discard(ticket)
