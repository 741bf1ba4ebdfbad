"""The operations: plain annotated functions, one module per family, and their registry.

Importing this package registers every operation; ``oclip.operations()``
lists them.
"""

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
from ._registry import CATEGORIES, Operation, Parameter, get_operation, operation, operations
from ._types import Binary, Image, ImageKind, Labels, Radius, Range, Sigma, Table
from .background import *
from .derivatives import *
from .draw import *
from .filters import *
from .label_processing import *
from .labeling import *
from .math import *
from .measure import *
from .morphology import *
from .projection import *
from .stacks import *
from .statistics import *
from .threshold import *
from .transform import *

__all__ = [
    "CATEGORIES",
    "Binary",
    "Image",
    "ImageKind",
    "Labels",
    "Operation",
    "Parameter",
    "Radius",
    "Range",
    "Sigma",
    "Table",
    "get_operation",
    "operation",
    "operations",
    *background.__all__,
    *derivatives.__all__,
    *draw.__all__,
    *filters.__all__,
    *label_processing.__all__,
    *labeling.__all__,
    *math.__all__,
    *measure.__all__,
    *morphology.__all__,
    *projection.__all__,
    *stacks.__all__,
    *statistics.__all__,
    *threshold.__all__,
    *transform.__all__,
]
