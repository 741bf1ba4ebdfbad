"""The registry, annotations, argument checks and return types of all operations."""

from __future__ import annotations

import inspect
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import oclip
from oclip import _backend as backend
from oclip.ops import CATEGORIES, ImageKind, Range, operation, operations
from oclip.ops._arguments import check_scalar

FIRST_OPERATIONS = {
    "gaussian_blur": "Remove noise",
    "mean_box": "Remove noise",
    "minimum_box": "Remove noise",
    "maximum_box": "Remove noise",
    "top_hat_box": "Remove background",
    "add_images": "Combine",
    "multiply_image_and_scalar": "Combine",
    "maximum_z_projection": "Projection",
    "threshold_otsu": "Binarize",
    "connected_components_labeling": "Label",
}


def test_first_operations_are_registered_with_their_categories():
    registered = {name: op.category for name, op in operations().items()}
    assert FIRST_OPERATIONS.items() <= registered.items()


def test_operations_are_listed_in_category_order():
    order = [CATEGORIES.index(op.category) for op in operations().values()]
    assert order == sorted(order)
    assert set(operations("Combine")) >= {"add_images", "multiply_image_and_scalar"}
    with pytest.raises(ValueError, match="unknown category"):
        operations("Misc")


def test_every_operation_is_exported_and_is_the_registered_function():
    for name, op in operations().items():
        assert getattr(oclip, name) is op.function
        assert inspect.signature(op.function) == op.signature


@pytest.mark.parametrize("op", list(operations().values()), ids=lambda op: op.name)
def test_every_operation_is_documented(op):
    doc = inspect.getdoc(op.function)
    assert op.summary and op.summary.endswith(".")
    for section in ("Parameters", "Returns", "See Also"):
        assert f"\n{section}\n" in doc, f"{op.name} lacks a {section} section"
    for parameter in op.parameters:
        assert parameter.description, f"{op.name}: {parameter.name} is not documented"
    assert op.image_parameters, "every operation takes an image"
    assert op.result_kind is not None or op.returns_table or op.returns in (float, int)


def test_parameter_metadata_of_gaussian_blur():
    op = oclip.get_operation("gaussian_blur")
    image, sigma_x, *_ = op.parameters
    assert image.kind is ImageKind.IMAGE and image.required
    assert sigma_x.value_type is float and sigma_x.default == 1.0
    assert sigma_x.range == Range(0.0, 1000.0, 0.5)
    assert "along x" in sigma_x.description
    labeling = oclip.get_operation("connected_components_labeling")
    assert labeling.parameters[0].kind is ImageKind.BINARY
    assert labeling.parameters[1].choices == ("box", "diamond")
    assert labeling.result_kind is ImageKind.LABELS


def test_unknown_operation_suggests_close_names():
    with pytest.raises(ValueError, match="did you mean gaussian_blur"):
        oclip.get_operation("gausian_blur")
    with pytest.raises(TypeError, match="operation names are strings, got int 3"):
        oclip.get_operation(3)


def test_registration_rules():
    with pytest.raises(ValueError, match="unknown category"):
        operation(category="Misc")
    with pytest.raises(ValueError, match="already registered"):
        @operation(category="Filter")
        def gaussian_blur(image: oclip.Image) -> oclip.Image:
            """Duplicate."""
    with pytest.raises(TypeError, match="named parameters only"):
        @operation(category="Filter")
        def variadic(*images: oclip.Image) -> oclip.Image:
            """Variadic."""
    assert "variadic" not in operations()


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"sigma_x": -1.0}, ValueError, "gaussian_blur: parameter 'sigma_x' must be between 0"),
    ({"sigma_y": "2"}, TypeError, "parameter 'sigma_y' must be a number"),
    ({"sigma_y": float("nan")}, ValueError, "parameter 'sigma_y' must be a number, got NaN"),
    ({"sigma_z": True}, TypeError, "parameter 'sigma_z' must be a number"),
    ({"sigma": 2.0}, TypeError, "gaussian_blur has no parameter 'sigma'; did you mean "
                                "'sigma_x', 'sigma_y' or 'sigma_z'?"),
])
def test_scalar_arguments_are_checked(arguments, error, message):
    with pytest.raises(error, match=message):
        oclip.gaussian_blur(np.zeros((4, 4), np.float32), **arguments)


def test_unknown_keywords_are_named_with_the_parameters_there_are():
    image = np.zeros((4, 4), np.float32)
    listed = r" \(its parameters: image, sigma_x, sigma_y, sigma_z\)$"
    with pytest.raises(TypeError, match=r"^gaussian_blur has no parameter 'sigma'; did you "
                                        r"mean 'sigma_x', 'sigma_y' or 'sigma_z'\?" + listed):
        oclip.gaussian_blur(image, sigma=2)
    # named even where the image is missing, as the misspelt image keyword leaves it
    with pytest.raises(TypeError, match=r"^gaussian_blur has no parameter 'imag'; did you "
                                        r"mean 'image'\?" + listed):
        oclip.gaussian_blur(imag=image)
    with pytest.raises(TypeError, match=r"'Sigma_X'; did you mean 'sigma_x'.*; gaussian_blur "
                                        r"has no parameter 'colour' \(its"):
        oclip.gaussian_blur(image, Sigma_X=2, colour="red")
    with pytest.raises(TypeError, match="gaussian_blur: missing a required argument: 'image'"):
        oclip.gaussian_blur(sigma_x=2.0)


class Text(str):
    """A str subclass, as libraries make them (numpy.str_ is one)."""


def test_text_choices_take_str_subclasses():
    image = np.zeros((5, 5), np.uint8)
    image[1, 1] = image[2, 2] = 1
    diamond = oclip.connected_components_labeling(image, connectivity="diamond")
    assert diamond.max() == 2
    for spelt in (np.str_("diamond"), Text("diamond")):
        np.testing.assert_array_equal(
            oclip.connected_components_labeling(image, connectivity=spelt), diamond)
    op = oclip.get_operation("connected_components_labeling")
    canonical = check_scalar(op, op.parameters[1], np.str_("box"))
    assert canonical == "box" and type(canonical) is str
    for wrong in (b"box", np.bytes_(b"box"), np.array("box"), Text("ring")):
        with pytest.raises(ValueError, match="'connectivity' must be one of 'box', 'diamond'"):
            oclip.connected_components_labeling(image, connectivity=wrong)


def test_decimal_numbers_are_taken_for_integer_and_float_parameters(rng):
    image = rng.random((6, 7)).astype(np.float32)
    np.testing.assert_array_equal(oclip.mean_box(image, radius_x=Decimal("2")),
                                  oclip.mean_box(image, radius_x=2))
    np.testing.assert_array_equal(oclip.mean_box(image, radius_x=Decimal("2.000")),
                                  oclip.mean_box(image, radius_x=2))
    np.testing.assert_array_equal(oclip.gaussian_blur(image, sigma_x=Decimal("1.5")),
                                  oclip.gaussian_blur(image, sigma_x=1.5))
    mean_box, gaussian_blur = oclip.get_operation("mean_box"), oclip.get_operation("gaussian_blur")
    radius, sigma = mean_box.parameters[1], gaussian_blur.parameters[1]
    assert type(check_scalar(mean_box, radius, Decimal("3"))) is int
    assert type(check_scalar(gaussian_blur, sigma, Decimal("3"))) is float
    for value, says in [
        (Decimal("2.5"), "'radius_x' must be a whole number, got Decimal('2.5')"),
        (Decimal("NaN"), "'radius_x' must be a whole number, got Decimal('NaN')"),
        (Decimal("sNaN"), "'radius_x' must be a whole number, got Decimal('sNaN')"),
        (Decimal("Infinity"), "'radius_x' must be a whole number, got Decimal('Infinity')"),
        (Decimal("1001"), "'radius_x' must be between 0 and 1000, got 1001"),
        (Decimal("1e999999999"), "'radius_x' must be a whole number of fewer than 4300 digits"),
    ]:
        with pytest.raises(ValueError, match=re.escape(says)):
            oclip.mean_box(image, radius_x=value)
    for value, says in [
        (Decimal("NaN"), "'sigma_x' must be a number, got NaN"),
        (Decimal("sNaN"), "'sigma_x' must be a number, got NaN"),
        (Decimal("-Infinity"), "'sigma_x' must be between 0.0 and 1000.0, got -inf"),
        (Decimal("1e400"), "'sigma_x' must be a number a float can hold (up to about 1.8e308),"
                           " got Decimal('1E+400')"),
        (Fraction(10**400, 3), "'sigma_x' must be a number a float can hold"),
    ]:
        with pytest.raises(ValueError, match=re.escape(says)):
            oclip.gaussian_blur(image, sigma_x=value)
    # exact: a Fraction or Decimal just above a whole number is not taken as it
    for value in (Fraction(10**20 + 1, 10**20), Decimal("2.00000000000000000001")):
        with pytest.raises(ValueError, match="'radius_x' must be a whole number"):
            oclip.mean_box(image, radius_x=value)
    with pytest.raises(TypeError, match=r"'radius_x' must be an integer, got \(2\+0j\)"):
        oclip.mean_box(image, radius_x=2 + 0j)


def test_integer_and_choice_arguments_are_checked():
    image = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="parameter 'radius_x' must be a whole number"):
        oclip.mean_box(image, radius_x=1.5)
    assert oclip.mean_box(image, radius_x=2.0).shape == (4, 4)  # a whole float is fine
    with pytest.raises(ValueError, match="'connectivity' must be one of 'box', 'diamond'"):
        oclip.connected_components_labeling(image, connectivity="ring")


@pytest.mark.parametrize(("image", "error", "message"), [
    (np.zeros(5, np.float32), ValueError, r"'image' must be a 2D or 3D image .* shape \(5,\)"),
    (np.zeros((2, 3, 4, 5), np.float32), ValueError, "must be a 2D or 3D image"),
    (np.zeros((0, 4), np.float32), ValueError, "'image': the image is empty"),
    (np.zeros((3, 3), np.complex64), TypeError, "'image': arrays of dtype complex64"),
    (None, TypeError, "'image': an image is required, got None"),
    ("blobs.tif", TypeError, "'image': expected an image, got the str 'blobs.tif'; read the "
                             "file first"),
])
def test_image_arguments_are_checked(image, error, message):
    with pytest.raises(error, match=message):
        oclip.gaussian_blur(image)


def test_dimensions_are_checked_per_operation():
    with pytest.raises(ValueError, match=r"maximum_z_projection: parameter 'image' must be a "
                                         r"3D image"):
        oclip.maximum_z_projection(np.zeros((4, 4), np.float32))


def test_result_type_follows_input_type(rng):
    image = rng.random((6, 7)).astype(np.float32)
    on_host = oclip.gaussian_blur(image)
    assert isinstance(on_host, np.ndarray)
    on_device = oclip.gaussian_blur(oclip.push(image))
    assert backend.is_device_array(on_device)
    np.testing.assert_array_equal(oclip.pull(on_device), on_host)
    mixed = oclip.add_images(image, oclip.push(image))
    assert backend.is_device_array(mixed)


def test_device_arrays_of_another_context_are_refused():
    import pyopencl as cl
    import pyopencl.array as cl_array

    device = oclip.current_device().cl_device
    foreign = cl_array.zeros(cl.CommandQueue(cl.Context([device])), (4, 4), np.float32)
    with pytest.raises(ValueError, match="belongs to another device or context"):
        oclip.gaussian_blur(foreign)


def test_device_array_slices_with_an_offset_are_copied(rng):
    image = rng.random((6, 5)).astype(np.float32)
    sliced = oclip.push(image)[2:]
    assert sliced.offset
    np.testing.assert_array_equal(oclip.pull(oclip.maximum_box(sliced, radius_x=0, radius_y=0)),
                                  image[2:])


def test_binary_arguments_accept_bool_and_any_nonzero(rng):
    mask = rng.random((9, 11)) > 0.5
    expected = oclip.connected_components_labeling(mask.astype(np.uint8))
    for given in (mask, mask * 7.5, mask.astype(np.int64) * -3):
        np.testing.assert_array_equal(oclip.connected_components_labeling(given), expected)
    on_device = oclip.push((mask * 200).astype(np.float32))
    np.testing.assert_array_equal(oclip.pull(oclip.connected_components_labeling(on_device)),
                                  expected)


def test_range_describes_itself():
    assert Range(0, 10).describe() == "between 0 and 10"
    assert Range(min=1).describe() == ">= 1"
    assert 5 in Range(0, 10) and 11 not in Range(0, 10)
