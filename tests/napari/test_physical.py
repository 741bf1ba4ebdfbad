"""Sizes in the layer's units (issue 14, friction 9): the arithmetic, and the
step widget's "sigma in µm" row as a user fills it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from napari.layers import Image
from qtpy.QtCore import Qt

import oclip
from oclip.napari import _physical
from oclip.ops import get_operation


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# --- the arithmetic ---------------------------------------------------------------------


def test_size_groups_are_the_per_axis_numbers():
    groups = _physical.size_groups(get_operation("gaussian_blur"))
    assert {base: {a: p.name for a, p in g.items()} for base, g in groups.items()} == {
        "sigma": {"z": "sigma_z", "y": "sigma_y", "x": "sigma_x"}}
    assert set(_physical.size_groups(get_operation("top_hat_box"))) == {"radius"}
    assert _physical.size_groups(get_operation("threshold_otsu")) == {}


def test_a_physical_size_divides_by_each_axis_pixel_size():
    sigma = _physical.size_groups(get_operation("gaussian_blur"))["sigma"]
    # 1 µm with pixels of 2 µm in z and 0.5 µm in y and x: 0.5, 2 and 2 pixels
    assert _physical.pixel_values(sigma, 1.0, (2.0, 0.5, 0.5)) == {
        "sigma_z": 0.5, "sigma_y": 2.0, "sigma_x": 2.0}
    # a 2D image has no z: its parameter is left alone
    assert _physical.pixel_values(sigma, 1.0, (0.25, 0.5)) == {"sigma_y": 4.0, "sigma_x": 2.0}
    radius = _physical.size_groups(get_operation("top_hat_box"))["radius"]
    # integer radii round to the nearest whole pixel: 3 µm / 2 µm = 1.5 -> 2, / 0.4 = 7.5 -> 8
    assert _physical.pixel_values(radius, 3.0, (2.0, 0.4, 0.4)) == {
        "radius_z": 2, "radius_y": 8, "radius_x": 8}
    # and stay within the parameter's range (radius at most 1000)
    assert _physical.pixel_values(radius, 1.0, (1.0, 1e-4, 1e-4))["radius_x"] == 1000
    assert _physical.physical_size(sigma, {"sigma_x": 2.0}, (2.0, 0.5, 0.5)) == 1.0


def test_default_z_sizes_follow_the_physical_size_of_x():
    blur = get_operation("gaussian_blur")
    isotropic = Image(np.zeros((4, 8, 8), np.float32))
    assert _physical.default_sizes(blur, isotropic) == {"sigma_z": 1.0}
    anisotropic = Image(np.zeros((4, 8, 8), np.float32), scale=(2.0, 0.5, 0.5))
    assert _physical.default_sizes(blur, anisotropic) == {"sigma_z": 0.25}
    assert _physical.default_sizes(blur, Image(np.zeros((8, 8), np.float32))) == {}
    box = get_operation("top_hat_box")  # radius_x defaults to 10
    assert _physical.default_sizes(box, anisotropic) == {"radius_z": 3}  # 10 * 0.5 / 2 = 2.5
    # a time-lapse of 2D images is 2D in space
    series = Image(np.zeros((3, 8, 8), np.float32), axis_labels=("t", "y", "x"))
    assert _physical.spatial_scale(series) == (1.0, 1.0)
    assert _physical.default_sizes(blur, series) == {}


def test_unit_names():
    assert _physical.unit_name(Image(np.zeros((4, 4)), units=("um", "um"))) == "µm"
    assert _physical.unit_name(Image(np.zeros((4, 4)))) == "layer units"


# --- as a user meets it ---------------------------------------------------------------


@pytest.fixture
def stack() -> np.ndarray:
    return oclip.data.nuclei3d((8, 24, 28)).astype(np.float32)


def test_a_new_3d_step_blurs_in_z_too(qtbot, assistant_in, settled, stack):
    viewer, assistant = assistant_in(stack)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    step = assistant.workflow.step("gaussian_blur")
    assert step.params["sigma_z"] == 1.0
    widget = assistant.step_widgets["gaussian_blur"]
    assert widget.form["sigma_z"].value == 1.0
    np.testing.assert_allclose(viewer.layers["gaussian_blur"].data,
                               oclip.gaussian_blur(stack, sigma_z=1.0))
    assert not widget.physical.isVisibleTo(widget)  # isotropic: nothing to convert
    # switched to another operation, the step's z size follows the same rule
    widget.operation_box.setCurrentText("median_box")
    settled(assistant)
    params = assistant.workflow.step("gaussian_blur").params
    assert (params["radius_x"], params["radius_y"], params["radius_z"]) == (1, 1, 1)
    assert widget.form["radius_z"].value == 1
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.median_box(stack, 1, 1, 1))


def test_sizes_in_micrometres_fill_the_pixel_values(qtbot, assistant_in, settled, stack):
    viewer, assistant = assistant_in(stack, scale=(2.0, 0.5, 0.5), units=("um", "um", "um"))
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    # the default z sigma stands for the x default's 0.5 µm: 0.25 pixels of 2 µm
    assert assistant.workflow.step("gaussian_blur").params["sigma_z"] == 0.25
    widget = assistant.step_widgets["gaussian_blur"]
    assert widget.physical.isVisibleTo(widget)
    size = widget.physical.form["sigma"]
    assert size.label == "sigma in µm"
    assert size.value == 0.5  # sigma_x = 1 pixel of 0.5 µm

    size.value = 1.0
    settled(assistant)
    params = assistant.workflow.step("gaussian_blur").params
    assert (params["sigma_x"], params["sigma_y"], params["sigma_z"]) == (2.0, 2.0, 0.5)
    assert [widget.form[n].value for n in ("sigma_x", "sigma_y", "sigma_z")] == [2.0, 2.0, 0.5]
    np.testing.assert_allclose(viewer.layers["gaussian_blur"].data,
                               oclip.gaussian_blur(stack, sigma_x=2.0, sigma_y=2.0,
                                                   sigma_z=0.5))
    # a pixel value typed in is shown in µm again; undo takes back the whole size change
    widget.form["sigma_x"].value = 4.0
    assert size.value == 2.0
    click(qtbot, assistant.action_buttons["Undo"])
    click(qtbot, assistant.action_buttons["Undo"])
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params["sigma_z"] == 0.25
    assert size.value == 0.5

    # switching to an operation with radii shows a radius row
    widget.operation_box.setCurrentText("median_box")
    settled(assistant)
    assert [w.label for w in widget.physical.form] == ["radius in µm"]
