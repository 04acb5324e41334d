"""The wheel carries every module and layout file: `pip install .` must give a
working briefgen, not one that only works from the checkout."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_every_module_and_layout_file(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("briefgen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "briefgen").rglob("*.py")}
    assert modules, "no modules found"
    assert modules - names == set(), "modules missing from the wheel"
    layout_files = {"briefgen_layouts/" + p.relative_to(ROOT / "layouts").as_posix()
                    for p in (ROOT / "layouts").rglob("*") if p.is_file()}
    assert layout_files - names == set(), "layout files missing from the wheel"
    # Every folder of modules is a real package (a namespace folder is easily left out).
    for folder in {p.parent for p in (ROOT / "briefgen").rglob("*.py")}:
        assert (folder / "__init__.py").is_file(), f"{folder} has no __init__.py"
