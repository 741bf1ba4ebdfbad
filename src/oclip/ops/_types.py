"""Annotation types of operation parameters.

``Image``, ``Labels`` and ``Binary`` mark image-like parameters and results;
the napari plugin maps them to layer types, the registry converts arguments by
them.  Scalar parameters carry their widget hints (``Range``) on
``typing.Annotated``; the registry also checks values against them.

At run time (what ``typing.get_type_hints``, magicgui and napari read) an image
parameter accepts a numpy array or a device array.  The body of an operation
only ever sees device arrays, because the registry's wrapper uploads numpy
arguments before calling it; so for a type checker the same names stand for
device arrays, and the bodies are checked as the code they are.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, get_args, get_origin

import numpy as np

from .._backend import DeviceArray


class ImageKind(enum.Enum):
    """What an image-like parameter holds."""

    #: Intensities of any supported dtype.
    IMAGE = "image"
    #: uint32 label image: background 0, objects 1..n.
    LABELS = "labels"
    #: uint8 image of 0 (background) and 1 (foreground); any non-zero counts as 1.
    BINARY = "binary"


#: What a caller may pass as an image-like argument.
ArrayLike: TypeAlias = np.ndarray | DeviceArray

if TYPE_CHECKING:
    # What an operation's body receives and returns (see the module documentation),
    # and the numpy columns its tables hold.
    _ImageArray: TypeAlias = DeviceArray
    _TableColumn: TypeAlias = np.ndarray
else:
    _ImageArray = _TableColumn = ArrayLike

#: An intensity image (numpy array or device array).
Image = Annotated[_ImageArray, ImageKind.IMAGE]
#: A label image, uint32, background 0.
Labels = Annotated[_ImageArray, ImageKind.LABELS]
#: A binary image, uint8 0/1.
Binary = Annotated[_ImageArray, ImageKind.BINARY]


class TableMarker:
    """Marks a result that is a table: a dict of equally long 1D columns."""

    def __repr__(self) -> str:
        return "TABLE"


TABLE = TableMarker()

#: A table of measurements: column name -> 1D numpy array (napari takes it as
#: ``layer.features``).  Tables are small, so they come back as numpy arrays
#: whatever the inputs were.
Table = Annotated[dict[str, _TableColumn], TABLE]


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric parameter, and the step of its widget."""

    min: float | None = None
    max: float | None = None
    step: float | None = None

    def __contains__(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        if self.min is not None:
            return f">= {self.min}"
        return f"<= {self.max}"


#: Standard deviation of a Gaussian, in pixels.
Sigma = Annotated[float, Range(0.0, 1000.0, 0.5)]
#: Half-width of a window, in pixels: the window is 2 * radius + 1 wide.
Radius = Annotated[int, Range(0, 1000, 1)]


def image_kind(annotation: Any) -> ImageKind | None:
    """The ImageKind an annotation carries, or None for non-image annotations."""
    if get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, ImageKind)), None)
    return None


def is_table(annotation: Any) -> bool:
    """Whether an annotation is :data:`Table`."""
    return get_origin(annotation) is Annotated and TABLE in annotation.__metadata__


def value_range(annotation: Any) -> Range | None:
    """The Range an annotation carries, or None."""
    if get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, Range)), None)
    return None


def base_type(annotation: Any) -> Any:
    """The annotation without its ``Annotated`` metadata."""
    if get_origin(annotation) is Annotated:
        return get_args(annotation)[0]
    return annotation
