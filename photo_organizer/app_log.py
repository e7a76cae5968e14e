"""The log file in the data home (``<home>/logs/photo-organizer.log``, rotated).

The window and the command line write unexpected errors there with their traceback, so a
message such as "details are in <file>" always names a file that exists.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from photo_organizer.home import PRIVATE_FOLDER, make_private

LOG_FOLDER = "logs"
LOG_FILE = "photo-organizer.log"
MAX_BYTES = 1_000_000
BACKUPS = 3  # photo-organizer.log.1 ... .3, then the oldest goes
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path(home_root: Path) -> Path:
    return home_root / LOG_FOLDER / LOG_FILE


def enable_file_log(home_root: Path, level: int = logging.INFO) -> Path | None:
    """Send the root logger to the home's rotating log file (once per file); the file exists
    afterwards. Returns its path, or None when the home cannot hold it (read-only...)."""
    path = log_path(home_root)
    root = logging.getLogger()
    if current_log_file() == path:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
    make_private(path.parent, PRIVATE_FOLDER)
    make_private(path)
    handler.setFormatter(logging.Formatter(FORMAT))
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)  # one library per process: its home's log only
        old.close()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return path


def current_log_file() -> Path | None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def where_details_are() -> str:
    """The end of an error message: the log file's name when there is one."""
    path = current_log_file()
    return f"Details are in {path}." if path is not None else "Details were printed on the terminal."
