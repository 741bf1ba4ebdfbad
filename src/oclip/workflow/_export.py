"""Export a workflow as a Python script or a Jupyter notebook.

Both call each operation as ``oclip.<op>(...)`` with keyword arguments, one
variable per step named after the step's id, push the inputs once and pull
only the outputs, as the replay does; so they give exactly the replay's
arrays.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

from .._io import require
from .._version import __version__
from ..ops import get_operation
from ._model import Step, Workflow

_LINE = 99


def _string(text: str) -> str:
    """A Python string literal in double quotes (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _literal(value: Any) -> str:
    """Python source of a parameter value."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, str):
        return _string(value)
    return repr(value)


def _call(step: Step, indent: str) -> str:
    """``<id> = oclip.<op>(<keyword arguments>)``, wrapped when long."""
    arguments = [f"{name}={source}" for name, source in step.inputs.items()]
    arguments += [f"{name}={_literal(value)}" for name, value in step.params.items()]
    line = f"{indent}{step.id} = oclip.{step.op}({', '.join(arguments)})"
    if len(line) <= _LINE:
        return line
    inner = indent + "    "
    return "\n".join([f"{indent}{step.id} = oclip.{step.op}(",
                      *(f"{inner}{argument}," for argument in arguments), f"{indent})"])


def _pull_expression(workflow: Workflow, step_id: str) -> str:
    op = get_operation(workflow.step(step_id).op)
    if op.returns_table:
        return f"{{column: oclip.pull(values) for column, values in {step_id}.items()}}"
    if op.result_kind is not None:
        return f"oclip.pull({step_id})"
    return step_id


def _used_inputs(workflow: Workflow) -> list[str]:
    return [name for name in workflow.inputs if workflow.users(name)]


def _summary(workflow: Workflow) -> str:
    return " → ".join(f"{s.id} ({s.op})" for s in workflow.steps) or "no steps"


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def to_python(workflow: Workflow) -> str:
    """A Python script that runs ``workflow``, as a command or as a module.

    As a command it reads TIFF files as ``oclip run`` does
    (``oclip.runs.read_image``: a stack written page by page as the stack,
    colour images refused) and writes the outputs to the folder given with
    ``-o``, as ``<file stem>_<output>.tif`` (tables and numbers as ``.csv``), like
    ``oclip run``.  A one-input workflow takes any number of
    files and folders of TIFFs; a workflow of several inputs takes one file
    per input, in the order of its inputs.  As a module it offers
    ``run_workflow(<inputs>)``, taking numpy arrays and returning a dict of
    output name → numpy array (tables as dicts of columns, numbers as floats).

    Returns
    -------
    str
        The script's source code.
    """
    if not isinstance(workflow, Workflow):
        raise TypeError(f"to_python: expected a Workflow, got {type(workflow).__name__}")
    inputs = list(workflow.inputs)
    outputs = workflow.output_ids
    single = len(inputs) == 1
    first = inputs[0] if inputs else "image"
    usage_inputs = (f"{first.upper()}.tif [MORE.tif | FOLDER ...]" if single else
                    " ".join(f"{name.upper()}.tif" for name in inputs))
    call_inputs = ", ".join(f"{name}=image" if single else f"{name}={name}_image"
                            for name in inputs)
    lines = [
        "#!/usr/bin/env python3",
        f'"""oclip workflow: {", ".join(inputs) or "no inputs"} → '
        f'{", ".join(outputs) or "no outputs"}, in {len(workflow.steps)} step(s).',
        "",
        *textwrap.wrap(f"Steps: {_summary(workflow)}.", 79, break_on_hyphens=False),
        f"Exported by oclip {__version__}; needs oclip and, as a command, tifffile.",
        "",
        "Run it on TIFF files; the outputs go to OUTDIR as <file stem>_<output>.tif",
        "(tables and numbers as .csv):",
        "",
        f"    python this_script.py {usage_inputs} -o OUTDIR [--device NAME]",
        "",
        "or use it from Python:",
        "",
        "    from this_script import run_workflow",
        f"    outputs = run_workflow({call_inputs})",
        '"""',
        "",
        "import oclip",
        "",
        "",
        f"def run_workflow({', '.join(inputs)}):",
        '    """Run the workflow on numpy arrays; return its outputs by name, as numpy',
        "    arrays (tables as dicts of columns).  Intermediate images stay on the device.",
        '    """',
    ]
    lines += [f"    {name} = oclip.push({name})" for name in _used_inputs(workflow)]
    for step in workflow.steps:
        lines.append(f"    # {get_operation(step.op).summary}")
        lines.append(_call(step, "    "))
    lines.append("    return {")
    lines += [f"        {_string(name)}: {_pull_expression(workflow, name)}," for name in outputs]
    lines += ["    }", "", ""]
    lines += _main_lines(inputs)
    return "\n".join(lines) + "\n"


def _main_lines(inputs: list[str]) -> list[str]:
    taken = set(inputs)
    out = _free("output", taken)
    device = _free("device", taken)
    lines = [
        "def _write(folder, stem, outputs):",
        '    """Write each output as <stem>_<name>.tif; tables, numbers as .csv."""',
        "    import csv",
        "",
        "    import tifffile",
        "",
        "    for name, value in outputs.items():",
        "        if isinstance(value, (float, int)):  # a number: a table of one row",
        "            value = {name: [value]}",
        "        if isinstance(value, dict):",
        '            with open(folder / f"{stem}_{name}.csv", "w", newline="") as file:',
        "                writer = csv.writer(file, lineterminator=\"\\n\")",
        "                writer.writerow(value)",
        "                columns = [c if isinstance(c, list) else c.tolist()",
        "                           for c in value.values()]",
        "                writer.writerows(zip(*columns))",
        "        else:",
        '            tifffile.imwrite(folder / f"{stem}_{name}.tif", value,',
        '                             photometric="minisblack")  # planes, never RGB',
        "",
        "",
        "def main(argv=None):",
        '    """The command line: run the workflow on TIFF files."""',
        "    import argparse",
        "    from pathlib import Path",
        "",
        "    from oclip.runs import read_image  # as oclip run reads them",
        "",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
    ]
    if len(inputs) == 1:
        name = inputs[0]
        lines += [f'    parser.add_argument("{name}", nargs="+", metavar="{name.upper()}",',
                  '                        help="TIFF files or folders of them; one run each")']
    else:
        lines += [f'    parser.add_argument("{name}", metavar="{name.upper()}",\n'
                  f'                        help="TIFF file of input {name}")'
                  for name in inputs]
    lines += [
        f'    parser.add_argument("-o", "--output", dest="{out}", required=True,',
        '                        help="folder for the outputs")',
        f'    parser.add_argument("--device", dest="{device}",',
        '                        help="OpenCL device: gpu, cpu or part of a name")',
        "    args = parser.parse_args(argv)",
        f"    if args.{device}:",
        f"        oclip.select_device(args.{device})",
        f"    folder = Path(args.{out})",
        "    folder.mkdir(parents=True, exist_ok=True)",
    ]
    if len(inputs) == 1:
        name = inputs[0]
        lines += [
            "    files = []",
            f"    for given in map(Path, args.{name}):",
            "        if given.is_dir():",
            "            files += sorted(p for p in given.iterdir()",
            '                            if p.suffix.lower() in (".tif", ".tiff"))',
            "        else:",
            "            files.append(given)",
            "    for number, path in enumerate(files, 1):",
            f"        outputs = run_workflow({name}=read_image(path))",
            "        _write(folder, path.stem, outputs)",
            '        print(f"[{number}/{len(files)}] {path}: done")',
        ]
    elif inputs:
        arguments = ", ".join(f"{name}=read_image(args.{name})" for name in inputs)
        lines += [
            f"    outputs = run_workflow({arguments})",
            f"    _write(folder, Path(args.{inputs[0]}).stem, outputs)",
        ]
    else:
        lines += ['    _write(folder, "workflow", run_workflow())']
    lines += ["", "", 'if __name__ == "__main__":', "    main()"]
    return lines


def to_notebook(workflow: Workflow, *, paths: dict[str, str] | None = None) -> str:
    """A Jupyter notebook (nbformat 4, as JSON text) that runs ``workflow``.

    It has a code cell that reads the inputs from TIFF files, then for each
    step a markdown cell naming it (the operation's summary line) and a code
    cell calling the operation, and a last cell pulling the outputs.

    Parameters
    ----------
    workflow : Workflow
    paths : dict of str to str, optional
        The file each input is read from (default ``<input name>.tif``).
    """
    if not isinstance(workflow, Workflow):
        raise TypeError(f"to_notebook: expected a Workflow, got {type(workflow).__name__}")
    nbformat = require("nbformat", "exporting a notebook")
    v4 = nbformat.v4
    paths = dict(paths or {})
    unknown = [name for name in paths if name not in workflow.inputs]
    if unknown:
        raise ValueError(f"to_notebook: paths: unknown input(s) {', '.join(unknown)}")
    outputs = workflow.output_ids
    cells = [
        v4.new_markdown_cell(
            f"# oclip workflow\n\n{_summary(workflow)}\n\n"
            f"Inputs: {', '.join(f'`{n}`' for n in workflow.inputs) or 'none'}. "
            f"Outputs: {', '.join(f'`{n}`' for n in outputs) or 'none'}. "
            f"Exported by oclip {__version__}; images stay on the OpenCL device "
            f"(`oclip.push`) until the outputs are pulled at the end."),
        v4.new_code_cell("import oclip\nfrom oclip.runs import read_image"),
        v4.new_markdown_cell("## Inputs\n\nSet the path of each input image (TIFF)."),
        v4.new_code_cell("\n".join(
            f"{name} = oclip.push(read_image({paths.get(name, name + '.tif')!r}))"
            for name in workflow.inputs)),
    ]
    for step in workflow.steps:
        op = get_operation(step.op)
        cells.append(v4.new_markdown_cell(f"## `{step.id}`: {op.name}\n\n{op.summary}"))
        cells.append(v4.new_code_cell(_call(step, "")))
    cells.append(v4.new_markdown_cell(
        "## Outputs\n\nPulled from the device: numpy arrays (tables: dicts of columns)."))
    cells.append(v4.new_code_cell("\n".join(
        f"{name} = {_pull_expression(workflow, name)}" for name in outputs)))
    for number, cell in enumerate(cells):
        cell.id = f"oclip-{number}"  # the same notebook for the same workflow
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return nbformat.writes(notebook)
