"""Storage owns the SQL: none in the front ends, and nobody else touches the connection."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "photo_organizer"
SQL = re.compile(r"\b(SELECT\s+\S|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)|PRAGMA\s)")
CONNECTION_USE = re.compile(r"\.db\.|\.db\[|\blibrary\.query\(|\blibrary\.execute\(|\.conn\.execute\(")


def python_files(*parts: str) -> list[Path]:
    return sorted(PACKAGE.joinpath(*parts).rglob("*.py"))


def offending_lines(files: list[Path], pattern: re.Pattern) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_no_sql_in_the_user_interface_or_the_command_line():
    assert offending_lines(python_files("ui") + python_files("cli"), SQL) == []


def test_only_storage_uses_the_database_connection():
    outside = [path for path in python_files() if PACKAGE / "storage" not in path.parents]
    assert offending_lines(outside, CONNECTION_USE) == []


def test_sql_outside_storage_is_nowhere():
    outside = [path for path in python_files() if PACKAGE / "storage" not in path.parents]
    assert offending_lines(outside, SQL) == []


def test_the_checks_would_see_sql():
    assert SQL.search('rows = library.query("SELECT id FROM photos")')
    assert CONNECTION_USE.search("library.db.execute(sql)")
