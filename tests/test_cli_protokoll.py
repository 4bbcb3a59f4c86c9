"""Logging of the command line: one place, WARNING by default, INFO with -v."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from thm_lib.run.cli import logging_einrichten, main


@pytest.fixture
def thm_logger(monkeypatch):
    logger = logging.getLogger("thm_lib")
    monkeypatch.setattr(logger, "handlers", [])  # restored after the test
    monkeypatch.setattr(logger, "level", logger.level)
    monkeypatch.setattr(logger, "propagate", False)  # only the command line's handler
    return logger


def test_warning_by_default_info_when_verbose(thm_logger, capsys) -> None:
    batch_logger = logging.getLogger("thm_lib.run.batch")
    logging_einrichten()
    batch_logger.info("leise")
    batch_logger.warning("laut")
    err = capsys.readouterr().err
    assert err == "Warnung: laut\n"  # German, without the module (round 2, session 42)
    logging_einrichten(verbose=True)
    batch_logger.info("jetzt auch")
    assert capsys.readouterr().err == "Info: jetzt auch\n"
    names = [h.get_name() for h in thm_logger.handlers]
    assert names.count("thm-cli") == 1  # set up once (pytest adds its own, unnamed)


def test_the_option_reaches_the_logger(thm_logger) -> None:
    res = CliRunner().invoke(main, ["-v", "vorlage", "--help"])
    assert res.exit_code == 0, res.output
    assert thm_logger.level == logging.INFO
    res = CliRunner().invoke(main, ["vorlage", "--help"])
    assert res.exit_code == 0 and thm_logger.level == logging.WARNING
    assert "--verbose" in CliRunner().invoke(main, ["--help"]).output
