"""Running a piece of Python in a fresh interpreter, with a hard time limit.

Tests of threads, device switches and resource limits run so: a regression that
hangs or aborts the interpreter fails the test instead of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import oclip

#: The checkout's src folder, first on the child's PYTHONPATH.
SOURCE = Path(oclip.__file__).resolve().parents[1]


def run_python(code: str, *, timeout: float = 120, **environment: str
               ) -> subprocess.CompletedProcess:
    """Run ``code`` (dedented) in a new interpreter importing this checkout's oclip.

    Raises ``subprocess.TimeoutExpired`` (failing the test) if it runs past ``timeout``.
    """
    env = dict(os.environ, **environment)
    env["PYTHONPATH"] = os.pathsep.join([str(SOURCE), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)
