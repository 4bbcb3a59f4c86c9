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


def arbeitsmappe_pruefsumme(ordner: Path) -> str:
    """SHA-256 over the files an Arbeitsmappe is read from: the files directly in ``ordner``.

    Subfolders (reports written into the Arbeitsmappe with ``--ausgabe``, old copies),
    hidden files and Excel's lock files (``~$zielgruppe.xlsx`` while the file is open)
    are no input: they made every rerun redo every report.
    """
    h = hashlib.sha256()
    for f in sorted(Path(ordner).iterdir()):
        if f.is_file() and not f.name.startswith((".", "~$")):
            h.update(f.name.encode())
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


__all__ = ["arbeitsmappe_pruefsumme", "programmstand", "pruefsumme"]
