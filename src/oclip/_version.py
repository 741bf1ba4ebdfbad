"""The version of oclip (read by the build as well: pyproject's ``tool.hatch.version``)."""

__version__ = "0.1.0.dev0"
