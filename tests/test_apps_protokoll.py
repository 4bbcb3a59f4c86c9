"""App errors: logged with traceback for the operator, a German note for the viewer (issue 14).

In-process tests use the real apps on the sample Kreis with one computation
forced to fail; the last test runs a real ipykernel (as Voilà starts it) and
checks that the traceback reaches the kernel's original stderr (the server
console) and no message to the browser.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from thm_lib.apps import common, paket_bauen, stellen, uebersicht, zeigen
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.paths import SAMPLE
from thm_lib.ingest.arbeitsmappe import load_workspace

HINWEIS = "Bei der Berechnung ist ein Fehler aufgetreten"
GEHEIM = "interna /geheim/pfad 4711"


@pytest.fixture(scope="module")
def ws():
    return paket_bauen.erstellen(load_workspace(SAMPLE))  # the apps' bundle, built in-process


def _kaputt(*_args, **_kwargs):
    raise RuntimeError(GEHEIM)


def test_uebersicht_callback_error_is_logged_not_shown(ws, monkeypatch, caplog) -> None:
    app = uebersicht.build(ws)
    assert app.status.value == ""
    monkeypatch.setattr(uebersicht.Uebersicht, "_luecken_html", _kaputt)
    other = [v for _, v in app.kommune.options if v != app.kommune.value][0]
    with caplog.at_level(logging.INFO, logger="thm_lib"):
        app.kommune.value = other  # the observe handler runs the (broken) update
    (record,) = [r for r in caplog.records if r.name == "thm_lib.apps.common"]
    assert record.levelno == logging.ERROR
    assert "Uebersicht.update" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and GEHEIM in caplog.text and "_kaputt" in caplog.text
    # the viewer: the German note, nothing of the exception
    assert HINWEIS in app.status.value
    for leak in ("Traceback", "RuntimeError", "4711", "geheim", "_kaputt"):
        assert leak not in app.status.value


def test_stellen_button_error_is_logged_not_shown(ws, monkeypatch, caplog) -> None:
    app = stellen.build(ws)
    monkeypatch.setattr(stellen, "excel_bytes", _kaputt)
    with caplog.at_level(logging.INFO, logger="thm_lib"):
        app.excel.click()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError
    assert "excel_erstellen" in errors[0].getMessage()
    assert HINWEIS in app.meldung.value and "4711" not in app.meldung.value
    assert app.download.value == ""  # no half result offered


def test_data_error_is_a_warning_without_traceback(caplog) -> None:
    import ipywidgets as widgets

    target = widgets.HTML()

    def pruefen() -> None:
        raise DataError([Problem("annahmen.yaml", "stellen.schluessel", "muss positiv sein")])

    with caplog.at_level(logging.INFO, logger="thm_lib"):
        common.guarded(target, pruefen)({"new": 1})
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "muss positiv sein" in record.getMessage()
    assert "Die Daten der Apps sind nicht lesbar" in target.value
    assert "muss positiv sein" in target.value


def test_failed_loading_is_logged(tmp_path, caplog, capsys) -> None:
    with caplog.at_level(logging.INFO, logger="thm_lib"):
        assert zeigen.uebersicht(tmp_path) is None  # empty folder: a DataError
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "kein Datenpaket der Apps" in capsys.readouterr().out


def test_no_console_handler_outside_a_kernel() -> None:
    assert common.protokoll_einrichten() is False
    names = [h.get_name() for h in logging.getLogger("thm_lib").handlers]
    assert "thm-server-konsole" not in names


KERNEL_CODE = f"""
import ipywidgets as widgets
from thm_lib.apps import common
assert common.protokoll_einrichten() and common.protokoll_einrichten()  # once is enough
ziel = widgets.HTML()
def kaputt():
    raise RuntimeError({GEHEIM!r})
common.guarded(ziel, kaputt)()
print("HINWEIS" if {HINWEIS!r} in ziel.value else "KEIN HINWEIS")
"""


@pytest.mark.slow
def test_in_a_kernel_the_traceback_goes_to_the_server_console(tmp_path) -> None:
    from jupyter_client.manager import start_new_kernel

    root = Path(__file__).resolve().parent.parent
    # as under Voilà: without pytest's marker ipykernel captures descriptor 2 too
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    konsole = tmp_path / "konsole.txt"
    with konsole.open("w", encoding="utf-8") as err:
        km, kc = start_new_kernel(
            kernel_name="python3",
            stderr=err,
            env=env,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        try:
            to_browser: list[dict] = []
            reply = kc.execute_interactive(
                KERNEL_CODE, timeout=120, output_hook=lambda msg: to_browser.append(msg)
            )
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    # what the kernel sends as output (execute_input only echoes the code)
    sent = repr([m["content"] for m in to_browser if m["msg_type"] != "execute_input"])
    assert "HINWEIS" in sent and "KEIN HINWEIS" not in sent
    for leak in ("Traceback", "RuntimeError", "4711"):
        assert leak not in sent, to_browser
    text = konsole.read_text(encoding="utf-8")
    assert "ERROR thm_lib.apps.common" in text and "Unerwarteter Fehler in kaputt" in text
    assert "Traceback (most recent call last)" in text and f"RuntimeError: {GEHEIM}" in text
