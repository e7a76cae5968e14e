"""The core must import and run without PySide6, and the start-up path without torch."""

from __future__ import annotations

import subprocess
import sys

import photo_organizer

BLOCK_AND_IMPORT = r"""
import importlib, importlib.abc, sys, pkgutil

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "PySide6":
            raise ImportError("PySide6 is blocked in this test")

sys.meta_path.insert(0, Block())
import photo_organizer
names = [m.name for m in pkgutil.walk_packages(photo_organizer.__path__, "photo_organizer.")
         if ".ui" not in m.name and not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
from photo_organizer.cli.main import main
code = main(["status", "--json"])
assert code == 0, code
print("IMPORTED", len(names))
"""


def test_core_imports_and_runs_without_pyside6(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_IMPORT],
        capture_output=True, text=True, timeout=300,
        env={"PHOTO_ORGANIZER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "IMPORTED" in result.stdout


def test_cli_start_up_does_not_import_torch_or_qt(tmp_path):
    code = (
        "import sys; from photo_organizer.cli.main import build_parser, main; build_parser();"
        "main(['status']);"
        "heavy = [m for m in ('torch', 'open_clip', 'timm', 'PySide6') if m in sys.modules];"
        "print('HEAVY', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PHOTO_ORGANIZER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_no_module_outside_ui_mentions_pyside6_imports():
    import re
    from pathlib import Path

    package = Path(photo_organizer.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "ui" not in path.relative_to(package).parts[:1]
        and re.search(r"^\s*(from|import) PySide6", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []
