"""The batch's internal errors: traceback into protokoll.log, one line on the console."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from thm_lib.core.errors import DataError
from thm_lib.core.paths import PROTOKOLL
from thm_lib.run import protokoll, veroeffentlichen
from thm_lib.run.kommune import KommuneResult, TeilResult, failure_reason


def _fehler() -> tuple[str, str]:
    try:
        {}["gibt es nicht"]
    except KeyError as exc:
        grund, text = failure_reason(exc, "05899016/karte")
    assert grund == "interner Fehler (Protokoll: intern/…/protokoll.log, Eintrag 05899016/karte)"
    assert text is not None
    return "05899016/karte", text


def test_internal_error_goes_to_the_file_with_traceback(tmp_path, caplog) -> None:
    r = KommuneResult(
        "05899016", "Probstadt", False, teile={"karte": TeilResult(False)}, protokoll=[_fehler()]
    )
    with caplog.at_level(logging.INFO, logger="thm_lib"):
        protokoll.fehler_schreiben(tmp_path, [r])
    log = (tmp_path / PROTOKOLL).read_text(encoding="utf-8")
    assert "ERROR interner Fehler, Eintrag 05899016/karte\nTraceback (most recent call" in log
    assert "Traceback (most recent call last)" in log and "KeyError: 'gibt es nicht'" in log
    # the console: one line naming the entry and the file, no traceback; the file's
    # logger does not pass its records on (pytest attaches its capture to it directly)
    (record,) = [r for r in caplog.records if r.name == "thm_lib.run.batch"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        f"interner Fehler, Eintrag 05899016/karte: siehe {tmp_path / PROTOKOLL}"
    )
    assert protokoll.PROTOKOLL_LOGGER.propagate is False
    # nothing left attached: a second run appends through a fresh handler
    handlers = protokoll.PROTOKOLL_LOGGER.handlers
    assert not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in handlers)
    protokoll.fehler_schreiben(tmp_path, [r])
    text = (tmp_path / PROTOKOLL).read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == 2


def test_no_file_without_internal_errors(tmp_path) -> None:
    protokoll.fehler_schreiben(tmp_path, [KommuneResult("05899016", "Probstadt", True)])
    assert not (tmp_path / PROTOKOLL).exists()


def test_audit_that_cannot_run_is_logged_and_publishes_nothing(
    tmp_path, monkeypatch, caplog
) -> None:
    def kaputt(*_args, **_kwargs):
        raise ZeroDivisionError("im Prüfmodell")

    monkeypatch.setattr(veroeffentlichen, "audit_run", kaputt)
    stage, kreis_dir, intern = tmp_path / ".kreis.neu", tmp_path / "kreis", tmp_path / "intern"
    stage.mkdir()
    (stage / "index.html").write_text("<html></html>", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="thm_lib"), pytest.raises(DataError) as err:
        veroeffentlichen.veroeffentlichen_wenn_sicher(None, stage, kreis_dir, intern)
    assert "interner Fehler; nichts veröffentlicht" in str(err.value)
    assert "ZeroDivisionError" not in str(err.value)
    assert not stage.exists() and not kreis_dir.exists()
    log = (intern / PROTOKOLL).read_text(encoding="utf-8")
    assert "ERROR Geheimhaltungsprüfung: interner Fehler, nichts veröffentlicht" in log
    assert "Traceback (most recent call last)" in log and "im Prüfmodell" in log
    assert not [r for r in caplog.records if r.name == "thm_lib.run.batch"]  # the DataError says it
