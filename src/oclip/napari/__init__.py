"""The napari plugin: widgets generated from the operations, sample data.

This package is the only part of oclip that imports napari or Qt; importing
``oclip.napari`` itself imports neither (the submodules do).
"""
