"""Atomic writes: a temporary file in the target folder, then ``os.replace``.

A reader never sees a half-written output; a failed write leaves the previous
file untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        Final location; its folder is created if missing.
    write : callable
        Writes the complete content to the temporary path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def atomic_save_workbook(workbook: Any, path: str | Path) -> Path:
    """Save an openpyxl workbook atomically."""
    return atomic_write(path, lambda p: workbook.save(p))


def replace_dir(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging``; the old folder is removed only after the swap."""
    old = final.with_name(f".{final.name}.alt")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        shutil.rmtree(old)
