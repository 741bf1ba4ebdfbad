"""A job of a batch run: the files of one run of a workflow (see ``_batch``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One run of a batch: the file of each input, and the stem of its output names."""

    stem: str
    paths: Mapping[str, Path]

    @property
    def source(self) -> str:
        """The job's first input file, for messages."""
        return str(next(iter(self.paths.values()), self.stem))
