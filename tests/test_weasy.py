"""WeasyPrint's native libraries are found without spawning ldconfig, gcc or ld."""
from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from briefgen.render.weasy import fast_find_library

# The names WeasyPrint's ffi module loads (weasyprint/text/ffi.py), in its order.
NAMES = ("gobject-2.0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "pangoft2-1.0")


@pytest.mark.parametrize("name", NAMES)
def test_the_fast_lookup_finds_what_ctypes_finds(name):
    assert fast_find_library(name) == ctypes.util.find_library(name)


def test_a_name_that_is_no_library_is_none_quickly():
    assert fast_find_library("gobject-2.0-0") is None
    assert fast_find_library("no-such-library-anywhere") is None


def test_importing_weasyprint_through_briefgen_runs_no_subprocess():
    probe = (
        "import subprocess, sys\n"
        "calls = []\n"
        "real = subprocess.Popen.__init__\n"
        "def spy(self, args, *a, **k):\n"
        "    calls.append(args)\n"
        "    return real(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "import briefgen.render.fetch\n"
        "import weasyprint\n"
        "print(len(calls), calls[:3])\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("0 "), out.stdout


def test_page_references_are_remembered_until_a_page_is_added():
    """pydyf's page references, read once per structure element of a tagged PDF,
    are made once per page count: the same references as pydyf makes."""
    import pydyf

    from briefgen.render import weasy

    weasy.remember_page_references()  # idempotent
    made = pydyf.PDF.page_references.fget.made
    pdf = pydyf.PDF()
    for count in range(1, 4):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        first = pdf.page_references
        assert first == made(pdf) and len(first) == count
        assert pdf.page_references is first  # not made again while no page is added
