"""What the benchmark scripts share: the image shape argument and the 5-step workflow
(of replay.py, also timed end to end by compare.py)."""

from __future__ import annotations

import sys
from typing import Any

import oclip
from oclip.ops import ImageKind
from oclip.workflow import Step, Workflow

#: (id, operation, image inputs, parameters); a step of inputs None takes its images by
#: kind: label images from "labels", intensity images from the input "image".
STEPS: list[tuple[str, str, dict[str, str] | None, dict[str, Any]]] = [
    ("blurred", "gaussian_blur", {"image": "image"}, {"sigma_x": 2, "sigma_y": 2, "sigma_z": 1}),
    ("background_removed", "top_hat_box", {"image": "blurred"},
     {"radius_x": 10, "radius_y": 10, "radius_z": 2}),
    ("binary", "threshold_otsu", {"image": "background_removed"}, {}),
    ("labels", "connected_components_labeling", {"binary": "binary"}, {"connectivity": "box"}),
    ("statistics", "label_statistics", None, {}),
]


def parse_shape(text: str) -> tuple[int, ...]:
    """A shape from ``"64x256x256"`` (numpy's axis order)."""
    return tuple(int(n) for n in text.lower().split("x"))


def build_workflow() -> Workflow:
    """gaussian_blur → top_hat_box → threshold_otsu → connected_components_labeling →
    label_statistics on the input ``image``; outputs: the labels and the leaves."""
    steps = []
    for step_id, op_name, inputs, params in STEPS:
        if op_name not in oclip.operations():
            print(f"note: {op_name} is not registered (yet): step {step_id!r} is skipped",
                  file=sys.stderr)
            continue
        if inputs is None:
            source = {ImageKind.LABELS: "labels", ImageKind.BINARY: "binary"}
            inputs = {p.name: source.get(p.kind, "image")
                      for p in oclip.get_operation(op_name).image_parameters}
        steps.append(Step(step_id, op_name, inputs, params))
    leaves = Workflow(("image",), tuple(steps)).leaves()
    return Workflow(("image",), tuple(steps), ("labels", *(s for s in leaves if s != "labels")))
