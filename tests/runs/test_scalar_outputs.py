"""Scalar and one-row table results (ops/statistics.py) as workflow outputs: ``oclip run``
writes each as a CSV file of one row, and an exported script returns them as a float
and a dict of columns."""

from __future__ import annotations

import csv

import numpy as np
import tifffile

from oclip.__main__ import main
from oclip.workflow import Step, Workflow, save, to_python


def statistics_workflow() -> Workflow:
    return Workflow(("image",), (
        Step("mean", "mean_of_all_pixels", {"image": "image"}),
        Step("statistics", "statistics_of_image", {"image": "image"}),
    ), ("mean", "statistics"))


def read_csv(path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_run_writes_a_scalar_and_a_one_row_table_as_csv(tmp_path, capsys):
    save(statistics_workflow(), tmp_path / "w.yaml")
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    image[1, 1] = 100  # mean (66 - 5 + 100) / 12; the maximum at (1, 1)
    (tmp_path / "in").mkdir()
    tifffile.imwrite(tmp_path / "in" / "cells.tif", image)
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                 str(tmp_path / "out")]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cells_mean.csv", "cells_statistics.csv"]
    mean = read_csv(tmp_path / "out" / "cells_mean.csv")
    assert mean[0] == ["mean"] and len(mean) == 2
    assert float(mean[1][0]) == (66 - 5 + 100) / 12
    rows = read_csv(tmp_path / "out" / "cells_statistics.csv")
    assert len(rows) == 2
    table = dict(zip(rows[0], rows[1], strict=True))
    assert table["pixel_count"] == "12" and float(table["maximum"]) == 100.0
    assert (table["position_of_maximum-0"], table["position_of_maximum-1"]) == ("1", "1")
    assert (table["position_of_minimum-0"], table["position_of_minimum-1"]) == ("0", "0")


def test_an_exported_script_returns_the_scalar_and_the_table():
    namespace: dict = {}
    exec(compile(to_python(statistics_workflow()), "exported.py", "exec"), namespace)
    image = np.array([[1, 3], [1, 3]], np.float32)
    outputs = namespace["run_workflow"](image=image)
    assert outputs["mean"] == 2.0 and isinstance(outputs["mean"], float)
    assert outputs["statistics"]["standard_deviation"].tolist() == [1.0]
    assert isinstance(outputs["statistics"]["sum"], np.ndarray)
