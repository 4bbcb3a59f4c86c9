"""Files an office saves under a slightly different name are read or named, never ignored.

``annahmen.yml`` is read like ``annahmen.yaml``; ``kommunen.ods``, ``faelle - Kopie.csv``,
``faelle.xls`` … get a Hinweis or are named in the error; ``thm zusammenfassung`` says
which Gemeinden are counted at another Stichtag (robustness report B3, B4, B5, B10).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers_io import SAMPLE, copy_sample, thm

from thm_lib.core.errors import DataError
from thm_lib.ingest.arbeitsmappe import arbeitsmappen, load_workspace
from thm_lib.ingest.dateinamen import nicht_gelesen
from thm_lib.ingest.vorlagen import write_templates

PROBSTADT = "05899016"


def _datei_hinweise(warnungen: tuple[str, ...]) -> list[str]:
    return [w for w in warnungen if "wird nicht gelesen" in w]


def test_annahmen_yml_is_read(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    text = (folder / "annahmen.yaml").read_text(encoding="utf-8")
    assert "Musterkreis (fiktiv)" in text
    (folder / "annahmen.yaml").unlink()
    (folder / "annahmen.yml").write_text(
        text.replace("Musterkreis (fiktiv)", "Kreis Ymlhausen"), encoding="utf-8"
    )
    ws = load_workspace(folder)
    assert ws.name == "Kreis Ymlhausen"
    assert ws.annahmen.kreis.ags == "05899"
    assert _datei_hinweise(ws.warnungen) == []
    assert arbeitsmappen(tmp_path) == [folder]  # a Land folder finds it too


def test_annahmen_yaml_and_yml_together_is_an_error_naming_both(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "annahmen.yml").write_text("kreis:\n  name: Anderer Kreis\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_workspace(folder)
    text = str(err.value)
    assert "annahmen.yaml" in text and "annahmen.yml" in text
    assert "doppelt" in text


def test_annahmen_yaml_txt_gets_a_hinweis(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "annahmen.yaml").rename(folder / "annahmen.yaml.txt")
    hinweise = _datei_hinweise(load_workspace(folder).warnungen)
    assert len(hinweise) == 1
    assert hinweise[0].startswith("annahmen.yaml.txt wird nicht gelesen")
    assert "Endung '.txt' entfernen" in hinweise[0]


def test_kommunen_ods_gets_a_hinweis_and_is_not_read(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "kommunen.csv").rename(folder / "kommunen.ods")
    ws = load_workspace(folder)
    assert _datei_hinweise(ws.warnungen) == [
        "kommunen.ods wird nicht gelesen: Bitte als 'kommunen.xlsx' (Excel-Arbeitsmappe) "
        "oder 'kommunen.csv' speichern."
    ]
    assert ws.warnungen[0] == _datei_hinweise(ws.warnungen)[0]  # shown first
    # as without any kommunen file: the defaults
    assert not ws.kommunen["geschaeftsfuehrende_stelle"].any()
    assert ws.kommunen["stellen_bestand"].isna().all()


def test_copies_of_faelle_and_bedarfe_get_a_hinweis(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "faelle.csv").rename(folder / "faelle - Kopie.csv")
    (folder / "bedarfe.csv").rename(folder / "bedarfe - Kopie.csv")
    ws = load_workspace(folder)
    assert ws.faelle is None
    hinweise = _datei_hinweise(ws.warnungen)
    assert (
        "faelle - Kopie.csv wird nicht gelesen (Name nicht erkannt): gelesen wird nur "
        "'faelle.xlsx' oder 'faelle.csv'."
    ) in hinweise
    assert any(h.startswith("bedarfe - Kopie.csv wird nicht gelesen") for h in hinweise)


def test_an_old_copy_next_to_the_read_file_names_the_read_one(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "kommunen_2020.csv").write_bytes((folder / "kommunen.csv").read_bytes())
    hinweise = _datei_hinweise(load_workspace(folder).warnungen)
    assert hinweise == [
        "kommunen_2020.csv wird nicht gelesen (Name nicht erkannt): gelesen wird 'kommunen.csv'."
    ]


def test_faelle_xls_is_named_in_the_error(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "faelle.csv").rename(folder / "faelle.xls")
    with pytest.raises(DataError) as err:
        load_workspace(folder)
    text = str(err.value)
    assert "Bedarfe ohne Fälle: 'faelle' fehlt oder ist leer" in text
    assert "'faelle.xls'" in text and "nicht gelesen" in text


def test_umlaut_name_of_a_required_table_is_named_in_the_error(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "zielgruppe.csv").rename(folder / "Zielgruppe.txt")
    (folder / "faelle.csv").rename(folder / "Fälle.csv")
    with pytest.raises(DataError) as err:
        load_workspace(folder)
    text = str(err.value)
    assert "Datei fehlt in der Arbeitsmappe" in text
    assert "'Zielgruppe.txt'" in text and "'Fälle.csv'" in text


def test_the_sample_and_templates_get_no_hinweis_on_files(tmp_path: Path) -> None:
    assert _datei_hinweise(load_workspace(SAMPLE).warnungen) == []
    # templates over a copy of the sample (adds programm.yaml) and in an empty folder
    folder = copy_sample(tmp_path)
    write_templates(folder)
    assert (folder / "programm.yaml").is_file()
    assert _datei_hinweise(load_workspace(folder).warnungen) == []
    leer = tmp_path / "neu"
    write_templates(leer)
    (leer / "gebiete.geojson").write_bytes((SAMPLE / "gebiete.geojson").read_bytes())
    assert nicht_gelesen(leer) == []


def test_files_that_are_clearly_something_else_get_no_hinweis(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    for name in (
        "README.md",
        "faelle_auswertung.pdf",
        "~$faelle.xlsx",
        ".faelle.csv",
        "kommunen.csv.bak",
        "annahmen_05899004.yaml",  # the own assumptions of Musterstadt: read with its reports
    ):
        (folder / name).write_text("x", encoding="utf-8")
    (folder / "faelle_alt").mkdir()
    (folder / "faelle_alt" / "faelle.csv").write_bytes((folder / "faelle.csv").read_bytes())
    assert nicht_gelesen(folder, ["05899004"]) == []


def test_zusammenfassung_names_a_gemeinde_counted_at_an_older_stichtag(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    path = folder / "zielgruppe.csv"
    data = path.read_bytes()
    lines = data.split(b"\n")
    kept = [line for line in lines if not line.startswith(f"{PROBSTADT};31.12.2021;".encode())]
    assert len(kept) < len(lines)
    path.write_bytes(b"\n".join(kept))
    proc = thm("zusammenfassung", str(folder))
    assert proc.returncode == 0, proc.stderr
    hinweis = next(line for line in proc.stderr.splitlines() if "Probstadt" in line)
    assert hinweis.startswith("Hinweis: ")
    assert "Zählung vom 31.12.2020: Probstadt" in hinweis
    assert not re.search(r"\*\*|\\", hinweis)  # plain text, no Markdown
