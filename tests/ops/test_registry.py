"""The registry, annotations, argument checks and return types of all operations."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import oclip
from oclip import _backend as backend
from oclip.ops import CATEGORIES, ImageKind, Range, operation, operations

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
    ({"sigma": 2.0}, TypeError, "gaussian_blur: got an unexpected keyword argument 'sigma'"),
])
def test_scalar_arguments_are_checked(arguments, error, message):
    with pytest.raises(error, match=message):
        oclip.gaussian_blur(np.zeros((4, 4), np.float32), **arguments)


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
