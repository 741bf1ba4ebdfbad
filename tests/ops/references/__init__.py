"""The references of the operations: one table, operation name -> :class:`Reference`
(what numpy / scipy.ndimage / scikit-image give for the operation's arguments, and the
tolerance its result must meet), written once and used by the family tests
(test_<family>.py) and the property suite (test_properties.py).

One module per family, as ``oclip.ops``; each holds its references (``REFERENCES``)
and the helpers they are made of.  Use::

    from .references import REFERENCES

    expected = REFERENCES["gaussian_blur"](image, sigma_x=2.0)   # the reference's value
    REFERENCES["gaussian_blur"].assert_close(result, image, sigma_x=2.0)
"""

from __future__ import annotations

from . import (
    background,
    derivatives,
    draw,
    filters,
    label_processing,
    labeling,
    math,
    measure,
    morphology,
    projection,
    stacks,
    statistics,
    threshold,
    transform,
)
from ._core import Arguments, Reference, Tolerance

__all__ = ["REFERENCES", "Arguments", "Reference", "Tolerance"]

#: Every operation's reference, by operation name.
REFERENCES: dict[str, Reference] = {
    name: reference
    for family in (filters, background, derivatives, draw, math, morphology, threshold,
                   projection, transform, stacks, labeling, label_processing, measure,
                   statistics)
    for name, reference in family.REFERENCES.items()
}
