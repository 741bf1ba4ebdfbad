"""A failed step's error as a person reads it: the reason first and short.

A workflow step's error message names the step, the operation and the
parameter before it says what is wrong, and often ends in a hint ("...;
give a stack of images").  A notification shows the beginning of a message
only, so :func:`headline` puts the reason first; the whole message (and the
traceback) stays a click away, in the step list.
"""

from __future__ import annotations

import re

from oclip.workflow import Step

#: The longest headline; a longer reason is cut at a word, with an ellipsis.
MAX_HEADLINE = 90

#: An image of a dimensionality the operation does not take (see
#: ``oclip.ops._arguments._check_shape``).
_DIMENSIONS = re.compile(r"parameter '(?P<parameter>\w+)' must be a (?P<accepted>.+?) image "
                         r"\(axes .*?\), got a (?P<got>\d+)D array")
_STEP_PREFIX = re.compile(r"^step '[^']+': ")


def reason(message: str, step: Step) -> str:
    """``message`` without the step's and the operation's names in front."""
    for prefix in (f"step '{step.id}': ", f"{step.op}: "):
        message = message[len(prefix):] if message.startswith(prefix) else message
    return message


def shorten(text: str, limit: int = MAX_HEADLINE) -> str:
    """``text`` up to its first hint (``"; ..."``), cut at a word to ``limit`` characters."""
    text = text.split("; ", 1)[0].split("\n", 1)[0].strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def headline(message: str, step: Step) -> str:
    """What a notification of ``step``'s failure says: the reason, short.

    An image of the wrong dimensionality reads ``"maximum_z_projection needs
    a 3D image: blobs is 2D"``; other messages lose the step and operation
    prefixes and the hint after the first ``";"`` and name the step in front
    (``"crop: parameter 'start_x' ..."``).  A message that named no step (an
    error from the device) is kept as it is, shortened.
    """
    if not _STEP_PREFIX.match(message):
        return shorten(message)
    found = _DIMENSIONS.search(message)
    if found is not None:
        source = step.inputs.get(found["parameter"], found["parameter"])
        return f"{step.op} needs a {found['accepted']} image: {source} is {found['got']}D"
    return shorten(f"{step.id}: {reason(message, step)}")
