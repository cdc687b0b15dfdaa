"""``python -m bot municipality new <comuna>``: a new municipality's file in one command, then review and load."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.app.cli import main
from bot.catalogue.files import load_catalogue
from bot.catalogue.onboarding import OnboardingError, code_candidates, find_commune, propose_code
from bot.catalogue.review import pending_entries
from bot.catalogue.validate import validate_catalogue
from bot.config import PROJECT_ROOT
from bot.matching.procedures import ProcedureMatcher

TABLE = Path(__file__).parent / "fixtures" / "tramites_antiguo_latin1.csv"
CONTACT = ["--telefono", "22 378 8000", "--email", "oirs@nunoa.cl", "--web", "www.nunoa.cl"]


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A copy of the catalogue, made the catalogue of this process with CATALOGUE_DIR."""
    copy = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", copy)
    monkeypatch.setenv("CATALOGUE_DIR", str(copy))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'municipal.db'}")
    return copy


def test_new_municipality_from_a_commune_typed_without_accents(folder, capsys):
    code = main(["municipality", "new", "nunoa", *CONTACT, "--direccion", "Av. Irarrázaval 3550, Ñuñoa"])
    out = capsys.readouterr().out
    assert code == 0, out
    data = yaml.safe_load((folder / "municipalities" / "nunoa.yml").read_text(encoding="utf-8"))
    assert (data["slug"], data["name"], data["comuna"], data["code"]) == (
        "nunoa",
        "Municipalidad de Ñuñoa",
        "Ñuñoa",
        "NUN",
    )
    assert (data["phone"], data["email"], data["website"]) == ("+56223788000", "oirs@nunoa.cl", "https://www.nunoa.cl")
    assert data["offices"][0]["key"] == "principal" and data["offices"][0]["address"] == "Av. Irarrázaval 3550, Ñuñoa"
    assert "Catálogo válido." in out
    missing = out.split("Falta:")[1]
    assert "WhatsApp" in missing and "Telegram" in missing and "Oficinas" in missing
    assert validate_catalogue(folder) == []
    assert load_catalogue(folder).municipality_for_commune("Ñuñoa").code == "NUN"


def test_the_three_commands_new_review_load(folder, capsys):
    """README's path: new (with the table) -> review -> load; the new procedure is then found."""
    assert main(["municipality", "new", "Ñuñoa", *CONTACT, "--tabla", str(TABLE)]) == 0
    out = capsys.readouterr().out
    assert "Filas leídas: 12" in out and "Filas con errores: 1" in out and "por revisar" in out
    entries = pending_entries(folder, "nunoa")
    offices = {e["propuesta"]["key"]: e for e in entries if e["tipo"] == "oficina"}
    assert {"transito", "dideco", "jpl"} <= set(offices)  # a new municipality has only its main office
    assert offices["transito"]["propuesta"]["hours"] == "lun-vie 08:30-13:30"
    for entry in entries:
        assert main(["catalogue", "review", "nunoa", "--accept", str(entry["id"])]) == 0
    assert "No quedan entradas" in capsys.readouterr().out
    assert main(["catalogue", "load"]) == 0
    assert "Catálogo cargado" in capsys.readouterr().out

    loaded = load_catalogue(folder)
    town = loaded.municipalities["nunoa"]
    circulation = loaded.procedure_for("nunoa", "permiso-circulacion")
    assert circulation.steps == ["Revisar documentos", "Pagar en caja o en línea", "Retirar el sello"]
    assert town.office_for(circulation).hours == "lun-vie 08:30-13:30"
    found = ProcedureMatcher(loaded.names_and_aliases()).best("taller de ceramica")
    assert found is not None and loaded.procedure_for("nunoa", found.key) is not None


def test_an_existing_file_is_never_overwritten_without_force(folder, capsys):
    assert main(["municipality", "new", "nunoa", *CONTACT]) == 0
    path = folder / "municipalities" / "nunoa.yml"
    path.write_text(path.read_text(encoding="utf-8") + "# editado a mano\n", encoding="utf-8")
    assert main(["municipality", "new", "Ñuñoa"]) == 1
    assert "--force" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8").endswith("# editado a mano\n")
    assert main(["municipality", "new", "penalolen"]) == 1  # a municipality of the repository
    assert main(["municipality", "new", "nunoa", *CONTACT, "--force"]) == 0
    assert "editado a mano" not in path.read_text(encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["code"] == "NUN"  # its own code is no clash


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--telefono", "123"], "teléfono inválido"),
        (["--email", "oirs-arroba-nunoa.cl"], "correo inválido"),
        (["--web", "nunoa"], "sitio web inválido"),
        (["--horario", "lunes a viernes"], "horario inválido"),
        (["--codigo", "PEN"], "ya lo usa"),
        (["--codigo", "N1"], "código inválido"),
    ],
)
def test_invalid_contact_data_writes_nothing(folder, capsys, flags, complaint):
    assert main(["municipality", "new", "nunoa", *flags]) == 1
    assert complaint in capsys.readouterr().err
    assert not (folder / "municipalities" / "nunoa.yml").exists()


def test_unknown_commune_suggests_names(folder, capsys):
    assert main(["municipality", "new", "Narnia"]) == 1
    assert "no encuentro la comuna" in capsys.readouterr().err


def test_commune_names_as_typed(catalogue):
    assert find_commune("san pedro de la pas", catalogue.communes).name == "San Pedro de la Paz"
    assert find_commune("VALPO", catalogue.communes).name == "Valparaíso"
    assert find_commune("providensia", catalogue.communes).name == "Providencia"
    with pytest.raises(OnboardingError):
        find_commune("xyz", catalogue.communes)


def test_folio_codes_are_unique_and_fit_the_folio_format(catalogue):
    taken = [m.code for m in catalogue.municipalities.values()]
    assert code_candidates("Ñuñoa")[0] == "NUN"
    assert code_candidates("San Pedro de la Paz")[0] == "SPP"
    pencahue = propose_code("Pencahue", taken)  # PEN is Peñalolén's
    assert pencahue != "PEN" and pencahue.isalpha() and pencahue.isupper() and len(pencahue) == 3
    from bot.folio import new_folio, normalise_folio

    folio = new_folio(pencahue)
    assert normalise_folio(f"mi folio es {folio.lower()}") == folio


def test_the_command_runs_as_a_program(folder):
    """``python -m bot municipality new`` from a shell, without a terminal to ask in."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "CATALOGUE_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "municipality", "new", "Pencahue", "--tabla", str(TABLE)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Creado" in done.stdout and "Falta:" in done.stdout
    assert "Dirección de la oficina principal" in done.stdout and "Teléfono general" in done.stdout
    assert (folder / "municipalities" / "pencahue.yml").exists()
    assert (folder / "imports" / "pencahue.yml").exists()


class _Terminal(io.StringIO):
    """What a person types at the terminal."""

    def isatty(self) -> bool:
        return True


def test_contact_data_is_asked_at_the_terminal_until_valid(folder, monkeypatch, capsys):
    typed = [
        "123",
        "+56 2 2378 8000",
        "mal",
        "oirs@nunoa.cl",
        "",
        "Av. Irarrázaval 3550",
        "lunes a viernes",
        "lun-vie 08:30-13:30",
    ]
    monkeypatch.setattr("sys.stdin", _Terminal("\n".join(typed) + "\n"))
    assert main(["municipality", "new", "nunoa"]) == 0
    out = capsys.readouterr().out
    assert "teléfono inválido '123'" in out and "correo inválido 'mal'" in out and "horario inválido" in out
    data = yaml.safe_load((folder / "municipalities" / "nunoa.yml").read_text(encoding="utf-8"))
    assert (data["phone"], data["email"], data["website"]) == ("+56223788000", "oirs@nunoa.cl", "")
    assert data["offices"][0]["hours"] == "lun-vie 08:30-13:30"
    assert "Sitio web" in out.split("Falta:")[1]


def test_an_empty_whatsapp_flag_means_not_yet(folder, capsys):
    """A deployment script passes --whatsapp "" before the Twilio number exists: no error, still listed as missing."""
    code = main(["municipality", "new", "nunoa", *CONTACT, "--direccion", "Av. Irarrázaval 3550", "--whatsapp", ""])
    out = capsys.readouterr().out
    assert code == 0, out
    data = yaml.safe_load((folder / "municipalities" / "nunoa.yml").read_text(encoding="utf-8"))
    assert data["channels"]["whatsapp"] == []
    assert "WhatsApp" in out.split("Falta:")[1]
