"""The Examples sections of the pixel-wise operations and of the projections run as
they stand (with ``numpy`` as ``np`` and ``oclip`` imported) and show what the
operations give: each is run as a doctest.

The operations of issue 15's pixel math and projections have an Examples section;
every Examples section of ops/math.py, ops/projection.py, ops/transform.py and
ops/stacks.py is run.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import oclip

#: The modules whose operations' Examples are runnable doctests.
MODULES = ("oclip.ops.math", "oclip.ops.projection", "oclip.ops.transform",
           "oclip.ops.stacks", "oclip.ops.draw", "oclip.ops.filters", "oclip.ops.derivatives",
           "oclip.ops.threshold", "oclip.ops.statistics")

#: Operations that must show an example (issue 15: the pixel math, the projections).
WITH_EXAMPLES = [
    "square", "reciprocal", "cube_root", "negate", "power_images", "modulo_images",
    "modulo_image_and_scalar", "maximum_image_and_scalar", "minimum_image_and_scalar",
    "subtract_image_from_scalar", "divide_scalar_by_image", "degrees_to_radians",
    "radians_to_degrees", "nan_to_num", "multiply_image_and_coordinate", "greater_or_equal",
    "smaller_or_equal", "not_equal", "greater_or_equal_constant", "smaller_or_equal_constant",
    "not_equal_constant", "binary_subtract",
    *(f"{axis}_position_of_{which}_{axis}_projection"
      for which in ("maximum", "minimum") for axis in "zyx"),
    *(f"{reduction}_{axis}_projection" for reduction in ("median", "percentile")
      for axis in "zyx"),
    "z_position_projection", "z_position_range_projection",
    "extended_depth_of_focus_variance_projection", "extended_depth_of_focus_sobel_projection",
    "deskew_x", "deskew_y", "rigid_transform", "apply_vector_field", "concatenate_stacks",
    "combine_horizontally", "combine_vertically", "paste", "copy_slice", "copy_slice_into_stack",
    "crop_border",
    "downsample_slice_by_slice_half_median", "stitch_horizontally", "stitch_vertically",
    *(f"{statistic}_of_all_pixels"
      for statistic in ("sum", "mean", "minimum", "maximum", "standard_deviation")),
    "statistics_of_masked_pixels", "statistics_of_image", "position_of_maximum",
    "position_of_minimum", "center_of_mass", "histogram", "mean_squared_error",
]

EXAMPLED = sorted(name for name, op in oclip.operations().items()
                  if op.function.__module__ in MODULES
                  and "\nExamples\n--------\n" in (op.function.__doc__ or "").replace("    ", ""))


def test_the_operations_of_issue_15_show_examples():
    missing = sorted(set(WITH_EXAMPLES) - set(EXAMPLED))
    assert not missing, f"no Examples section: {missing}"


@pytest.mark.parametrize("name", EXAMPLED)
def test_examples_run_and_show_the_results(name):
    function = oclip.operations()[name].function
    test = doctest.DocTestParser().get_doctest(
        function.__doc__ or "", {"np": np, "oclip": oclip}, name, None, None)
    assert test.examples, f"{name}: the Examples section holds no example"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)
