"""The operation registry and the ``@operation`` decorator.

An operation is a plain function with an annotated signature and a numpydoc
docstring.  ``@operation(category=...)`` records it under its function name
and wraps it so that every call, whoever makes it (a script, the workflow
replay, the napari plugin), gets the same treatment:

* image-like arguments (``Image``, ``Labels``, ``Binary``) are checked (2D/3D,
  not empty, supported dtype) and pushed to the device; labels become uint32,
  binary images uint8;
* scalar arguments are checked against their type, ``Range`` and ``Literal``
  choices, with errors that name the operation and the parameter;
* results come back as numpy arrays when no argument was a device array, and
  stay on the device otherwise (so chained calls make no transfers).

An operation may declare its *halo* (``@operation(..., halo=...)``): how far,
in pixels along (z, y, x), a result pixel looks into its input.  Only an
operation with a halo is *local*, and only workflows of local operations are
processed in tiles (``oclip.workflow.run_distributed(..., tile=...)``): a
tile read with the summed halos of its steps around it gives exactly the
pixels the whole image would.  A local operation given host images too large
for the device runs tile by tile the same way (see ``_tiles``).  The
default, None, means "needs the whole image" (thresholds from a histogram,
labeling, measurements, projections, and any operation that has not said
otherwise).

An operation also declares what it does with NaN and infinity in float images
(``@operation(..., nonfinite=...)``): :data:`PROPAGATE` (the default: they go
through the arithmetic as IEEE float32 arithmetic, and numpy, takes them, or
as the operation documents), :data:`REFUSE_NAN` (operations that order
values, such as rank filters: NaN has no place in an order, so an image
holding NaN is refused; infinities are ordinary values),
:data:`REFUSE_INFINITY` (histogram thresholds, which ignore NaN pixels but
need a finite value range) or :data:`REFUSE_NONFINITE` (NaN and infinities
are refused: labeling from intensities, measurements).  The wrapper checks
float images (host arrays on the host, device arrays with one small device
kernel) before the operation runs.

The argument checks are :mod:`._arguments`, the docstring reading
:mod:`._docstrings` and the tile dispatch :mod:`._tiles`; this module holds
the records and the decorator that ties them together.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .. import _backend as backend
from . import _docstrings, _tiles
from ._arguments import (
    NONFINITE_POLICIES,
    PROPAGATE,
    REFUSE_INFINITY,
    REFUSE_NAN,
    REFUSE_NONFINITE,
    check_scalar,
    host_image,
    shown,
    to_device,
    to_host,
)
from ._types import ImageKind, Range, base_type, image_kind, is_table, value_range

__all__ = [
    "CATEGORIES",
    "PIXELWISE",
    "PROPAGATE",
    "REFUSE_INFINITY",
    "REFUSE_NAN",
    "REFUSE_NONFINITE",
    "Operation",
    "Parameter",
    "get_operation",
    "operation",
    "operations",
    "radius_halo",
    "sigma_halo",
]

#: The categories of the assistant, in the order its buttons show them.
CATEGORIES: tuple[str, ...] = (
    "Remove noise",
    "Remove background",
    "Filter",
    "Combine",
    "Transform",
    "Projection",
    "Binarize",
    "Label",
    "Process labels",
    "Measure",
)

#: Halo of operations whose result at a pixel depends on the input at that pixel only.
PIXELWISE = (0, 0, 0)

# The NaN policies PROPAGATE, REFUSE_NAN, REFUSE_INFINITY and REFUSE_NONFINITE
# are defined beside the check that applies them (._arguments) and imported here,
# where operations declare them.


def radius_halo(radius_x: int, radius_y: int, radius_z: int, **_: Any) -> tuple[int, int, int]:
    """Halo of a window of ``2 * radius + 1`` per axis: the radii, as (z, y, x)."""
    return (int(radius_z), int(radius_y), int(radius_x))


def sigma_halo(sigma_x: float, sigma_y: float, sigma_z: float,
               **_: Any) -> tuple[int, int, int]:
    """Halo of a Gaussian truncated at 4 sigma (as ``gaussian_weights``), as (z, y, x)."""
    z, y, x = (int(4.0 * s + 0.5) for s in (sigma_z, sigma_y, sigma_x))
    return (z, y, x)


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, as the signature and docstring describe it."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty
    #: The operation's docstring, where :attr:`description` is read from.
    docstring: str = field(default="", repr=False)

    @property
    def description(self) -> str:
        """The parameter's description in the docstring's Parameters section, on one line."""
        return _docstrings.parameter_descriptions(self.docstring).get(self.name, "")

    @property
    def kind(self) -> ImageKind | None:
        """ImageKind of an image-like parameter, None for scalars."""
        return image_kind(self.annotation)

    @property
    def value_type(self) -> Any:
        """The annotation without metadata (``float``, ``int``, ``Literal[...]``...)."""
        return base_type(self.annotation)

    @property
    def range(self) -> Range | None:
        return value_range(self.annotation)

    @property
    def choices(self) -> tuple | None:
        """The allowed values of a ``Literal`` parameter."""
        if get_origin(self.value_type) is Literal:
            return get_args(self.value_type)
        return None

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(frozen=True)
class Operation:
    """A registered operation."""

    name: str
    category: str
    #: The function the decorator returns (``oclip.<name>``): it checks the
    #: arguments, runs the operation (in tiles where its images are too large)
    #: and returns the result as the inputs were, numpy or device arrays.
    function: Callable[..., Any] = field(repr=False)
    parameters: tuple[Parameter, ...] = field(repr=False)
    returns: Any = field(repr=False)
    summary: str = ""
    dimensions: tuple[int, ...] = (2, 3)
    #: How far a result pixel reads around it: (z, y, x) pixels, or a callable
    #: taking the scalar parameters as keywords and returning them; None: the
    #: operation needs the whole image (see the module documentation).
    halo: Any = field(default=None, repr=False)
    #: What the operation does with NaN and infinities in float images: one of
    #: PROPAGATE, REFUSE_NAN, REFUSE_INFINITY, REFUSE_NONFINITE (see the module
    #: documentation).
    nonfinite: str = field(default=PROPAGATE, repr=False)

    @property
    def local(self) -> bool:
        """Whether the operation declares a halo (and so can run tile by tile)."""
        return self.halo is not None

    def halo_for(self, params: Mapping[str, Any]) -> tuple[int, int, int] | None:
        """The halo, (z, y, x) pixels, for these scalar parameter values; None if not local."""
        if self.halo is None:
            return None
        halo = self.halo(**params) if callable(self.halo) else self.halo
        values = tuple(int(h) for h in halo)
        if len(values) != 3 or min(values) < 0:
            raise ValueError(f"{self.name}: the halo must be three non-negative pixel counts "
                             f"(z, y, x), got {halo!r}")
        return values

    @property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.function)

    @property
    def image_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind is not None)

    @property
    def scalar_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind is None)

    @property
    def result_kind(self) -> ImageKind | None:
        """ImageKind of the result, None for results that are not images."""
        return image_kind(self.returns)

    @property
    def returns_table(self) -> bool:
        """Whether the result is a :data:`Table` of measurements."""
        return is_table(self.returns)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)


_registry: dict[str, Operation] = {}


def operations(category: str | None = None) -> dict[str, Operation]:
    """The registered operations, by name, in category order (as CATEGORIES).

    Parameters
    ----------
    category : str, optional
        Only the operations of this category (one of ``CATEGORIES``).

    Returns
    -------
    dict of str to Operation
        Each Operation has ``name``, ``category``, ``summary``, ``parameters``
        and ``function``.
    """
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category: unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    ordered = sorted(_registry.values(), key=lambda op: CATEGORIES.index(op.category))
    return {op.name: op for op in ordered if category is None or op.category == category}


def get_operation(name: str) -> Operation:
    """The registered operation called ``name``.

    Raises
    ------
    ValueError
        If there is none; the message lists close names.
    """
    if not isinstance(name, str):
        raise TypeError(f"operation names are strings, got {type(name).__name__} {name!r}")
    try:
        return _registry[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown operation {shown(name)}{hint}") from None


# --- the decorator -----------------------------------------------------------------


def _unknown_keywords(op: Operation, unknown: list[str]) -> str:
    """The message for keyword arguments ``op`` has no parameter for, with close names."""
    import difflib

    names = [p.name for p in op.parameters]
    lines = []
    for keyword in unknown:
        close = set(difflib.get_close_matches(keyword, names, n=3))
        close |= {name for name in names if name.lower() == keyword.lower()}
        suggested = [name for name in names if name in close]  # in the signature's order
        hint = ""
        if suggested:
            quoted = [repr(name) for name in suggested]
            either = quoted[0] if len(quoted) == 1 else \
                f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            hint = f"; did you mean {either}?"
        lines.append(f"{op.name} has no parameter {shown(keyword)}{hint}")
    return f"{'; '.join(lines)} (its parameters: {', '.join(names)})"



def _parameters(function: Callable[..., Any]) -> tuple[tuple[Parameter, ...], Any]:
    """The parameters of ``function`` and its return annotation."""
    hints = get_type_hints(function, include_extras=True)
    parameters = []
    for p in inspect.signature(function).parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            raise TypeError(f"{function.__name__}: operations take named parameters only")
        if p.name not in hints:
            raise TypeError(f"{function.__name__}: parameter {p.name!r} has no annotation")
        parameters.append(Parameter(p.name, hints[p.name], p.default, function.__doc__ or ""))
    return tuple(parameters), hints.get("return")


def operation(*, category: str, dimensions: tuple[int, ...] = (2, 3),
              halo: tuple[int, int, int] | Callable[..., tuple[int, int, int]] | None = None,
              nonfinite: str = PROPAGATE,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as an operation of ``category``.

    Parameters
    ----------
    category : str
        One of :data:`CATEGORIES`.
    dimensions : tuple of int
        The image dimensionalities the operation accepts.
    halo : tuple of 3 int, callable or None
        For a *local* operation (one whose result pixel depends only on the
        input pixels within a fixed distance, with the image's shape kept):
        that distance in pixels along (z, y, x), or a function of the scalar
        parameters (as keywords) returning it, e.g. :func:`radius_halo`,
        :func:`sigma_halo`; :data:`PIXELWISE` for pixel-wise operations.
        None (the default): the operation needs the whole image and is never
        tiled.
    nonfinite : str
        What the operation does with NaN and infinities in float images:
        :data:`PROPAGATE` (the default), :data:`REFUSE_NAN`,
        :data:`REFUSE_INFINITY` or :data:`REFUSE_NONFINITE` (see the module
        documentation).
    """
    if category not in CATEGORIES:
        raise ValueError(f"category: unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    if halo is not None and not callable(halo) and (
            not isinstance(halo, tuple) or len(halo) != 3
            or not all(isinstance(h, int) and h >= 0 for h in halo)):
        raise ValueError(f"halo: expected None, a callable or three non-negative ints "
                         f"(z, y, x), got {halo!r}")
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f"nonfinite: expected one of {', '.join(map(repr, NONFINITE_POLICIES))}"
                         f", got {nonfinite!r}")

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        parameters, returns = _parameters(function)
        if function.__name__ in _registry:
            raise ValueError(f"an operation named {function.__name__!r} is already registered")
        signature = inspect.signature(function)
        # run_whole and run check against `op`, the one record of the operation,
        # made below (it holds run as its function)

        def run_whole(images: Mapping[str, Any], scalars: Mapping[str, Any],
                      on_device: bool) -> Any:
            """``function`` on whole images: pushed (checked), computed, pulled unless
            an argument was a device array already."""
            arguments = dict(scalars)
            with backend.device_session():
                for parameter in op.image_parameters:
                    arguments[parameter.name] = to_device(op, parameter, images[parameter.name])
                result = function(**arguments)
            return result if on_device else to_host(result)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            unknown = [name for name in kwargs if name not in signature.parameters]
            if unknown:  # before bind, which would first complain of a missing image
                raise TypeError(_unknown_keywords(op, unknown)) from None
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{op.name}: {error}") from None
            bound.apply_defaults()
            scalars = {p.name: check_scalar(op, p, bound.arguments[p.name])
                       for p in op.scalar_parameters}
            images = {p.name: bound.arguments[p.name] for p in op.image_parameters}
            on_device = any(backend.is_device_array(v) for v in images.values())
            if op.local and images and not on_device:
                # array-likes (dask) are converted here once, not again for the upload
                images = {name: host_image(op, name, value) for name, value in images.items()}

                def halo_of_call() -> tuple[int, int, int]:
                    values = op.halo_for(scalars)
                    assert values is not None  # op is local
                    return values

                tile = _tiles.tile_for(list(images.values()), halo_of_call)
                if tile is not None:
                    return _tiles.run_in_tiles(
                        op.name, lambda part: run_whole(part, scalars, on_device=False),
                        images, halo_of_call(), tile)
            return run_whole(images, scalars, on_device)

        op = Operation(
            name=function.__name__,
            category=category,
            function=run,
            parameters=parameters,
            returns=returns,
            summary=_docstrings.summary(function.__doc__),
            dimensions=tuple(dimensions),
            halo=halo,
            nonfinite=nonfinite,
        )
        _registry[op.name] = op
        return run

    return register
