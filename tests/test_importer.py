"""Importing a municipality's Transparencia Activa "Trámites" CSV."""

from pathlib import Path

import pytest
import yaml

from bot.app.cli import main
from bot.catalogue.files import load_catalogue
from bot.catalogue.importer import import_table, write_import
from bot.catalogue.validate import validate_catalogue
from bot.config import PROJECT_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "transparencia_angol.csv"


@pytest.fixture
def report(catalogue):
    return import_table(FIXTURE.read_bytes(), catalogue, "angol")


def test_matched_rows_become_overrides(report):
    circulation = report.overrides["permiso-circulacion"]
    assert circulation["online_url"] == "https://www.angol.cl/pagos/permiso"
    assert circulation["requirements"] == ["Padrón", "Revisión técnica", "SOAP"]
    assert circulation["steps"] == ["Pago", "Retiro del sello"]
    assert report.overrides["retiro-voluminosos"]["cost"] == "$5.000 por m³"
    assert "online_url" not in report.overrides["retiro-voluminosos"]  # "No aplica"


def test_bad_rows_are_reported_with_line_numbers(report):
    assert report.rows == 8
    assert any("línea 4" in e and "enlace válido" in e for e in report.errors)  # www angol cl/residencia
    assert any("línea 5" in e and "falta el nombre" in e for e in report.errors)
    assert any("línea 6" in e and "vacía" in e for e in report.errors)


def test_unmatched_ambiguous_and_repeated_rows_go_to_review(report):
    reasons = {r["nombre"]: r["motivo"] for r in report.review}
    assert reasons["Permiso para Taller de Cerámica"].startswith("sin coincidencia")
    assert "licencia-conducir" in reasons["Licencia"] and "duplicado-licencia" in reasons["Licencia"]
    assert "repite" in reasons["Permiso de circulacion (segunda cuota)"]
    accounted = len(report.overrides) + len(report.review) + len(report.errors)
    assert accounted == report.rows  # every row ends somewhere


def test_written_import_is_loaded_over_the_municipality(tmp_path, report):
    folder = tmp_path / "catalogue"
    import shutil

    shutil.copytree(PROJECT_ROOT / "catalogue", folder)
    path = write_import(report, folder, "angol")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["review"]
    catalogue = load_catalogue(folder)
    assert catalogue.procedure_for("angol", "retiro-voluminosos").cost == "$5.000 por m³"
    assert catalogue.procedure_for("providencia", "retiro-voluminosos").cost != "$5.000 por m³"
    assert validate_catalogue(folder) == []


def test_command_line_import(tmp_path, capsys):
    import shutil

    folder = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", folder)
    assert main(["catalogue", "import", "angol", str(FIXTURE), "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Para revisión manual: 3" in out and "Filas con errores: 3" in out
    assert (folder / "imports" / "angol.yml").exists()


def test_unknown_municipality_and_file_without_name_column(catalogue, tmp_path, capsys):
    with pytest.raises(KeyError):
        import_table(FIXTURE.read_bytes(), catalogue, "narnia")
    with pytest.raises(ValueError):
        import_table("Columna;Otra\nx;y\n".encode(), catalogue, "angol")
    missing = tmp_path / "no-existe.csv"
    assert main(["catalogue", "import", "angol", str(missing), "--dir", str(tmp_path)]) == 1
