"""How much host memory the process can still allocate.

CPU OpenCL devices (PoCL) allocate buffers from host memory, and PoCL aborts
the process (an assertion) where an allocation fails, instead of returning an
error.  oclip therefore checks before it allocates on a CPU device: against
the address-space limit of the process (``RLIMIT_AS``, as ``ulimit -v`` and
batch schedulers set it), the memory limit of its cgroup (containers) and the
memory the system has available (``MemAvailable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: no rlimits
    resource = None  # type: ignore[assignment]

_CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class HostMemory:
    """The host memory still available to the process, and what bounds it."""

    available: int
    bound: str


def _status_kib(path: str, key: str) -> int | None:
    """A ``key:  N kB`` value of a /proc file, in bytes."""
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max": no limit


def host_memory() -> HostMemory | None:
    """The host memory the process can still allocate (the tightest bound), or
    None where no bound is known (not Linux)."""
    bounds: list[HostMemory] = []
    if resource is not None:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        used = _status_kib("/proc/self/status", "VmSize")
        if soft != resource.RLIM_INFINITY and used is not None:
            bounds.append(HostMemory(max(soft - used, 0),
                                     "the process's address-space limit (RLIMIT_AS)"))
    limit, current = _read_int(_CGROUP / "memory.max"), _read_int(_CGROUP / "memory.current")
    if limit is not None and current is not None:
        bounds.append(HostMemory(max(limit - current, 0), "the container's memory limit"))
    free = _status_kib("/proc/meminfo", "MemAvailable")
    if free is not None:
        bounds.append(HostMemory(free, "the system's available memory"))
    return min(bounds, key=lambda bound: bound.available) if bounds else None
