"""Optional dependencies, atomic writes, leftovers of killed writers, and reading damaged TIFF
files."""

from __future__ import annotations

import errno
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from oclip._io import PARTIAL, remove_leftovers, require, write_atomically
from oclip.runs import _images
from oclip.runs._batch import TIFF_SUFFIXES, _tiffs
from oclip.runs._images import read_image, write_output


@pytest.mark.parametrize(("module", "package", "extra"), [
    ("yaml", "PyYAML", "workflow"), ("tifffile", "tifffile", "workflow"),
    ("nbformat", "nbformat", "workflow"), ("dask.array", r"dask\[array\]", "cluster"),
    ("distributed", "dask.distributed", "cluster"), ("zarr", "zarr", "cluster")])
def test_a_missing_dependency_is_named_with_its_extra(monkeypatch, module, package, extra):
    assert require(module, "this") is not None
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf'^reading things needs {package}, which is not '
                                          rf'installed: pip install "oclip\[{extra}\]"$'):
        require(module, "reading things")


def no_space(file) -> None:
    """A writer that writes part of its data, then finds the disk full."""
    file.write(b"half of the data")
    file.flush()
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_leaves_no_file_and_no_temporary(tmp_path):
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_atomically(tmp_path / "out.tif", no_space)
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_old_file(tmp_path):
    path = write_atomically(tmp_path / "out.tif", lambda file: file.write(b"old result"))
    with pytest.raises(OSError, match="No space left on device"):
        write_atomically(path, no_space)
    assert path.read_bytes() == b"old result"
    assert list(tmp_path.iterdir()) == [path]


def test_an_interrupted_write_leaves_no_temporary(tmp_path):
    def interrupted(file):
        file.write(b"partial")
        raise KeyboardInterrupt

    (tmp_path / "out.csv").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "out.csv", interrupted)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    assert (tmp_path / "out.csv").read_text() == "old"


def test_a_folder_where_the_file_goes_is_left_alone(tmp_path):
    (tmp_path / "out.tif").mkdir()
    (tmp_path / "out.tif" / "inside.txt").write_text("kept")
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "out.tif", lambda file: file.write(b"data"))
    assert [p.name for p in tmp_path.iterdir()] == ["out.tif"]
    assert (tmp_path / "out.tif" / "inside.txt").read_text() == "kept"


def test_results_reach_the_disk_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace",
                        lambda *paths: (calls.append("replace"), real_replace(*paths))[1])
    write_atomically(tmp_path / "out.bin", lambda file: file.write(b"data"), sync=True)
    assert calls == ["fsync", "replace"]
    calls.clear()
    write_output(tmp_path, "cells", "labels", np.ones((3, 4), np.uint32), labels=True)
    write_output(tmp_path, "cells", "areas", {"label": np.array([1, 2])})
    assert calls == ["fsync", "replace"] * 2
    calls.clear()
    write_atomically(tmp_path / "part.npy", lambda file: file.write(b"data"))  # intermediate
    assert calls == ["replace"]


def test_temporaries_are_hidden_and_never_taken_for_results(tmp_path):
    seen = []

    def write(file):
        seen.extend(tmp_path.iterdir())
        file.write(b"data")

    write_atomically(tmp_path / "cells_labels.tif", write)
    [temporary] = seen
    assert temporary.name.startswith(".cells_labels.tif.") and temporary.name.endswith(PARTIAL)
    assert temporary.suffix.lower() not in TIFF_SUFFIXES
    # a leftover (of a killed writer) is not an input when the folder is read again
    leftover = tmp_path / temporary.name
    leftover.write_bytes(b"half")
    assert _tiffs(tmp_path, "input") == [tmp_path / "cells_labels.tif"]


def test_remove_leftovers_removes_only_those_of_the_file(tmp_path):
    name = "a[1]*_labels.tif"  # glob's special characters in a name
    kept = [tmp_path / name, tmp_path / f".{name}", tmp_path / ".other.tif.x1.partial",
            tmp_path / f".{name}.x1.partial.tif", tmp_path / f"{name}.x1.partial"]
    leftovers = [tmp_path / f".{name}.x1{PARTIAL}", tmp_path / f".{name}.abc_2{PARTIAL}"]
    for path in kept + leftovers:
        path.write_bytes(b"")
    assert sorted(remove_leftovers(tmp_path / name)) == sorted(leftovers)
    assert sorted(tmp_path.iterdir()) == sorted(kept)
    assert remove_leftovers(tmp_path / name) == []


def test_write_output_is_atomic_for_images_and_tables(tmp_path, monkeypatch):
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    write_output(tmp_path, "cells", "labels", image, labels=True)
    write_output(tmp_path, "cells", "areas", {"label": np.array([1, 2])})

    def imwrite(file, data, **options):
        file.write(b"II*\x00")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tifffile, "imwrite", imwrite)
    with pytest.raises(OSError, match="No space left"):
        write_output(tmp_path, "cells", "labels", image + 1, labels=True)
    monkeypatch.setattr(_images, "table_csv", lambda table: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_output(tmp_path, "cells", "areas", {"label": np.array([3])})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells_areas.csv", "cells_labels.tif"]
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "cells_labels.tif"), image)
    assert (tmp_path / "cells_areas.csv").read_text() == "label\n1\n2\n"


def tiff_bytes(tmp_path: Path, **options) -> bytes:
    image = (np.arange(37 * 53) % 251).astype(np.uint16).reshape(37, 53)
    tifffile.imwrite(tmp_path / "whole.tif", image, **options)
    return (tmp_path / "whole.tif").read_bytes()


@pytest.mark.parametrize(("cut", "options", "expected"), [
    (0, {}, "not a TIFF file, or a damaged or truncated one"),
    (4, {}, "not a TIFF file, or a damaged or truncated one"),
    (8, {}, "no image in this TIFF file (shape (0,)): damaged or truncated"),
    (100, {}, "not a TIFF file, or a damaged or truncated one"),
    (0.5, {}, "not a TIFF file, or a damaged or truncated one"),
    (-10, {}, "not a TIFF file, or a damaged or truncated one"),
    (0.5, {"compression": "zlib"}, "not a TIFF file, or a damaged or truncated one"),
])
def test_damaged_tiffs_are_refused_with_a_reason(tmp_path, cut, options, expected):
    data = tiff_bytes(tmp_path, **options)
    end = int(len(data) * cut) if isinstance(cut, float) else cut
    (tmp_path / "cut.tif").write_bytes(data[:end])
    with pytest.raises(ValueError, match=re.escape(expected)):
        read_image(tmp_path / "cut.tif")


def test_random_bytes_are_no_tiff(tmp_path):
    noise = np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    (tmp_path / "noise.tif").write_bytes(noise)
    with pytest.raises(ValueError, match="not a TIFF file"):
        read_image(tmp_path / "noise.tif")


def test_unreadable_files_raise_os_errors(tmp_path):
    (tmp_path / "folder.tif").mkdir()
    (tmp_path / "dangling.tif").symlink_to(tmp_path / "gone.tif")
    with pytest.raises(IsADirectoryError):
        read_image(tmp_path / "folder.tif")
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "dangling.tif")
    tiff_bytes(tmp_path)
    np.testing.assert_array_equal(read_image(tmp_path / "whole.tif"),
                                  tifffile.imread(tmp_path / "whole.tif"))


# --- what a TIFF file holds: stacks written page by page, several images, colour ---------


def write_page_by_page(path: Path, planes) -> None:
    """What ``TiffWriter.write`` per plane makes: a series (an image) per page."""
    with tifffile.TiffWriter(path) as writer:
        for plane in planes:
            writer.write(plane)


def test_a_stack_written_page_by_page_is_read_as_the_stack(tmp_path):
    from oclip.runs import read_lazy
    from oclip.runs._tiles import Tile, image_shape, read_tile

    stack = (np.arange(4 * 6 * 7) % 97).astype(np.uint16).reshape(4, 6, 7)
    write_page_by_page(tmp_path / "pages.tif", stack)
    with tifffile.TiffFile(tmp_path / "pages.tif") as tiff:
        assert len(tiff.series) == 4  # as tifffile sees it by default: four images
    np.testing.assert_array_equal(read_image(tmp_path / "pages.tif"), stack)
    assert image_shape(tmp_path / "pages.tif") == ((4, 6, 7), np.dtype(np.uint16))
    np.testing.assert_array_equal(read_lazy(tmp_path / "pages.tif").compute(), stack)
    tile = Tile(time=(1, 3), core=(), read=())
    np.testing.assert_array_equal(read_tile(tmp_path / "pages.tif", tile, has_time=True),
                                  stack[1:3])


@pytest.mark.parametrize("planes", [
    [np.zeros((6, 7), np.uint8), np.zeros((5, 7), np.uint8)],  # two shapes
    [np.zeros((6, 7), np.uint8), np.zeros((6, 7), np.uint16)],  # two dtypes
])
def test_a_file_of_several_different_images_is_refused(tmp_path, planes):
    write_page_by_page(tmp_path / "two.tif", planes)
    with pytest.raises(ValueError, match=r"this TIFF file holds 2 images \(\(6, 7\) uint8, "
                                         r"\(\d, 7\) uint\d+\), not one image or stack"):
        read_image(tmp_path / "two.tif")


@pytest.mark.parametrize(("image", "options", "description"), [
    (np.zeros((8, 10, 3), np.uint8), {}, r"\(RGB\) of 3 samples per pixel \(axes YXS"),
    (np.zeros((8, 10, 4), np.uint8), {"extrasamples": ["unassalpha"]},
     r"\(RGB\) of 4 samples per pixel \(axes YXS"),
    (np.zeros((3, 8, 10), np.uint16), {"photometric": "rgb", "planarconfig": "separate"},
     r"\(RGB\) of 3 samples per pixel \(axes SYX"),
    (np.zeros((5, 8, 10, 3), np.uint8), {"photometric": "rgb"},
     r"\(RGB\) of 3 samples per pixel \(axes (Q|I)YXS"),
    (np.zeros((8, 10, 2), np.uint8), {"photometric": "minisblack", "planarconfig": "contig"},
     r"an image of 2 samples per pixel"),
])
def test_colour_images_are_refused_by_the_readers(tmp_path, image, options, description):
    from oclip.runs import read_lazy
    from oclip.runs._tiles import image_shape

    tifffile.imwrite(tmp_path / "colour.tif", image, **options)
    for reader in (read_image, read_lazy, image_shape):
        with pytest.raises(ValueError, match=description + r".*oclip takes one channel"):
            reader(tmp_path / "colour.tif")


def test_a_grey_stack_of_three_planes_is_no_colour_image(tmp_path):
    planes = np.arange(3 * 8 * 10, dtype=np.uint8).reshape(3, 8, 10)
    write_output(tmp_path, "cells", "three", planes)  # as oclip run writes outputs
    tifffile.imwrite(tmp_path / "interleaved.tif", planes.transpose(1, 2, 0),
                     photometric="minisblack")  # declared grey: (8, 10, 3) is a 3D stack
    np.testing.assert_array_equal(read_image(tmp_path / "cells_three.tif"), planes)
    assert read_image(tmp_path / "interleaved.tif").shape == (8, 10, 3)


def test_a_compressed_tiff_without_imagecodecs_names_the_package():
    lzw = Path(__file__).parent / "files" / "lzw.tif"  # LZW: tifffile decodes it with imagecodecs
    expected = (np.arange(6 * 7, dtype=np.uint16).reshape(6, 7) * 37)
    try:
        import imagecodecs  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match=r"^its compression needs the imagecodecs package, "
                                             r"which is not installed: pip install imagecodecs"):
            read_image(lzw)
    else:
        np.testing.assert_array_equal(read_image(lzw), expected)


# --- a full disk, a file size limit -------------------------------------------------------

#: Writes a 352 KiB image as oclip run writes outputs, in a process whose files may have
#: 200000 bytes at most (RLIMIT_FSIZE); prints the error.
WRITE_UNDER_A_FILE_SIZE_LIMIT = """
import resource, sys
from pathlib import Path
import numpy as np
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
from oclip.runs._images import write_output
try:
    write_output(Path(sys.argv[1]), "big", "blurred", np.ones((300, 300), np.float32))
except OSError as error:
    print(f"{type(error).__name__}: {error}")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as on Linux")
def test_a_file_size_limit_is_named_with_the_path(tmp_path):
    import subprocess

    from ..test_cli import with_source_on_path

    done = subprocess.run([sys.executable, "-c", WRITE_UNDER_A_FILE_SIZE_LIMIT, str(tmp_path)],
                          env=with_source_on_path(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"OSError: [Errno 27] File too large: the file size limit of 200000 bytes "
        f"of this process (ulimit -f) is reached: '{tmp_path / 'big_blurred.tif'}'")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_named_with_the_path_also_after_a_short_write(tmp_path, monkeypatch):
    def short_write(file) -> None:
        """What numpy's tofile raises when the disk fills up: no errno."""
        file.write(b"x" * 51132)
        file.flush()
        raise OSError("131072 requested and 51132 written")

    full = os.statvfs_result((4096, 4096, 1000, 0, 0, 1000, 0, 0, 0, 255))
    monkeypatch.setattr(os, "statvfs", lambda path: full)
    target = tmp_path / "cells_labels.tif"
    with pytest.raises(OSError, match=re.escape(
            f"[Errno 28] No space left on device (51132 bytes of the file written): '{target}'")):
        write_atomically(target, short_write)
    with pytest.raises(OSError, match=re.escape(
            f"[Errno 28] No space left on device (16 bytes of the file written): '{target}'")):
        write_atomically(target, no_space)
    assert list(tmp_path.iterdir()) == []
    # with space left, a short write is some other trouble: its own message
    monkeypatch.undo()
    with pytest.raises(OSError, match=r"^131072 requested and 51132 written$"):
        write_atomically(target, short_write)
