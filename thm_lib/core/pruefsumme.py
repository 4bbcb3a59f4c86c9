"""Checksums of files and of the code state (for bundles and reruns)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from thm_lib.core import paths


def pruefsumme(*ordner: Path, muster: tuple[str, ...] = ("*",)) -> str:
    """SHA-256 over the names and bytes of the files in ``ordner`` (recursive, sorted).

    Hidden files and folders (``.name``) and ``__pycache__`` are left out.
    """
    h = hashlib.sha256()
    for root in ordner:
        root = Path(root)
        files = sorted({f for m in muster for f in root.rglob(m) if f.is_file()})
        for f in files:
            rel = f.relative_to(root)
            if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                continue
            h.update(str(rel).encode())
            h.update(b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def programmstand() -> str:
    """Checksum of the code and templates that make the reports (thm_lib and the notebooks).

    A rerun of the batch skips a Kommune only when this, its inputs and its
    settings are unchanged; a code change without a new version counts too.
    """
    return pruefsumme(
        paths.PACKAGE,
        paths.NOTEBOOKS,
        muster=("*.py", "*.j2", "*.yaml", "*.css", "*.ipynb", "*.tpl"),
    )


__all__ = ["programmstand", "pruefsumme"]
