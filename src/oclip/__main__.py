"""Command line: ``python -m oclip`` (also installed as ``oclip``).

    oclip devices    list OpenCL devices, whether each works, which one is selected
    oclip demo       open napari with sample data and the oclip widgets
"""

from __future__ import annotations

import argparse
import os
import sys

from ._backend import check_device, devices, select_device
from ._backend.device import ENVIRONMENT_VARIABLE
from ._errors import NoDeviceError, OclipError, format_bytes


def _list_devices(args: argparse.Namespace) -> int:
    found = devices()
    try:
        selected = select_device(args.device)
        selection_error = None
    except NoDeviceError as error:
        selected, selection_error = None, error
    rows = [("", "#", "device", "type", "memory", "OpenCL", "platform", "status")]
    problems = []
    for device in found:
        failure = check_device(device)
        if failure is not None:
            problems.append(f"  #{device.index}: {failure}")
        rows.append((
            "*" if selected is not None and device.index == selected.index else "",
            str(device.index),
            device.name,
            device.type,
            format_bytes(device.global_memory),
            " ".join(device.opencl_version.split()[:2]),
            device.platform,
            "works" if failure is None else "fails (see below)",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if problems:
        print("\nDevices that fail:")
        print("\n".join(problems))
    if selection_error is not None:
        print(f"\noclip: {selection_error}", file=sys.stderr)
        return 1
    how = (f"--device {args.device}" if args.device else
           f"{ENVIRONMENT_VARIABLE}={os.environ[ENVIRONMENT_VARIABLE]}"
           if os.environ.get(ENVIRONMENT_VARIABLE) else "best available")
    print(f"\nselected (*): {selected} [{how}]; choose another with {ENVIRONMENT_VARIABLE}=NAME")
    return 0


def _demo(args: argparse.Namespace) -> int:
    try:
        from .napari._demo import main as demo
    except ImportError as error:
        print(f"oclip demo needs the napari extra: pip install 'oclip[napari,pyqt6]' ({error})",
              file=sys.stderr)
        return 1
    demo()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="oclip", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("devices", help="list OpenCL devices and the selected one")
    listing.add_argument("--device", help="select this device (gpu, cpu or part of a name)")
    listing.set_defaults(handler=_list_devices)
    demo = commands.add_parser("demo", help="open napari with sample data and oclip widgets")
    demo.set_defaults(handler=_demo)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except OclipError as error:
        print(f"oclip: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
