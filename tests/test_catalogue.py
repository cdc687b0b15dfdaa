"""Catalogue data: loading, per-municipality overrides, office hours and validation."""

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from bot.catalogue.files import load_catalogue
from bot.catalogue.hours import HoursFormatError, describe_hours, is_open, next_opening, parse_hours
from bot.catalogue.validate import validate_catalogue
from bot.config import PROJECT_ROOT

REQUIRED_SLUGS = """permiso-circulacion licencia-conducir renovacion-licencia duplicado-licencia patente-comercial
patente-alcoholes comercio-ambulante derechos-aseo permiso-edificacion recepcion-final certificado-numero
certificado-informaciones-previas regularizacion-vivienda permiso-demolicion certificado-residencia
acceso-informacion retiro-voluminosos retiro-escombros poda-arboles desratizacion esterilizacion-mascotas
registro-mascotas registro-social-hogares ayuda-social subsidio-agua-potable subsidio-familiar beca-municipal
inscripcion-cesfam multas-jpl audiencia-alcalde organizacion-comunitaria fondos-concursables permiso-evento
reclamo-oirs reporte-luminaria reporte-bache denuncia-microbasural denuncia-ruidos""".split()
CHAT_FORMS = """retiro-voluminosos retiro-escombros poda-arboles desratizacion esterilizacion-mascotas
reporte-luminaria reporte-bache denuncia-microbasural denuncia-ruidos reclamo-oirs audiencia-alcalde
certificado-residencia""".split()


def test_repository_catalogue_is_valid():
    assert validate_catalogue(PROJECT_ROOT / "catalogue") == []


def test_base_catalogue_has_every_required_procedure(catalogue):
    assert set(REQUIRED_SLUGS) <= set(catalogue.procedures)
    for slug in CHAT_FORMS:
        proc = catalogue.procedures[slug]
        assert proc.chat_request and proc.form, slug


def test_four_municipalities_and_all_communes(catalogue):
    assert {m.comuna for m in catalogue.municipalities.values()} == {
        "Providencia",
        "Peñalolén",
        "Angol",
        "Independencia",
    }
    assert len(catalogue.communes) == 346
    assert catalogue.municipality_for_commune("penalolen").slug == "penalolen"


def test_overrides_change_only_that_municipality(catalogue):
    base = catalogue.procedures["derechos-aseo"].cost
    costs = {slug: catalogue.procedure_for(slug, "derechos-aseo").cost for slug in catalogue.municipalities}
    assert len(set(costs.values())) == 4, "each municipality states its own fee"
    assert base not in costs.values() or list(costs.values()).count(base) <= 1


def test_excluded_and_extra_procedures(catalogue):
    angol = catalogue.procedures_for("angol")
    assert "retiro-escombros" not in angol
    assert "registro-comerciante-lena" in angol
    assert "registro-comerciante-lena" not in catalogue.procedures_for("providencia")


def test_office_for_uses_override_then_department(catalogue):
    town = catalogue.municipalities["angol"]
    proc = catalogue.procedure_for("angol", "permiso-circulacion")
    assert town.office_for(proc).key == "transito"
    oirs = catalogue.procedure_for("angol", "reclamo-oirs")
    assert "OIRS" in town.office_for(oirs).departments or town.office_for(oirs).key == "principal"


def test_channel_lookup(catalogue):
    town = catalogue.municipalities["providencia"]
    assert catalogue.municipality_for_whatsapp(f"whatsapp:{town.whatsapp_numbers[0]}").slug == "providencia"
    assert catalogue.municipality_for_telegram_bot("@" + town.telegram_bot).slug == "providencia"


def test_hours_parse_describe_and_open():
    hours = "lun-jue 08:30-17:30; vie 08:30-16:30"
    assert describe_hours(hours) == "Lunes a jueves de 08:30 a 17:30; viernes de 08:30 a 16:30"
    assert is_open(hours, datetime(2026, 11, 26, 10, 0))  # Thursday
    assert not is_open(hours, datetime(2026, 11, 27, 17, 0))  # Friday after closing
    assert next_opening(hours, datetime(2026, 11, 28, 12, 0)) == datetime(2026, 11, 30, 8, 30)  # Sat -> Mon
    with pytest.raises(HoursFormatError):
        parse_hours("todos los dias")


def test_procedure_sentences_tell_procedures_apart(catalogue):
    sentences = catalogue.procedure_sentences()
    every = [s for ss in sentences.values() for s in ss]
    assert len(every) == len({s for s in every}), "a sentence said of two procedures tells neither apart"
    poda = catalogue.procedures["poda-arboles"]
    assert any(s in poda.description for s in sentences["poda-arboles"])
    assert all(len(s.split()) >= 3 for s in every)
    for town in catalogue.municipalities.values():
        for slug, values in town.overrides.items():
            own = values.get("description")
            if own and slug in catalogue.procedures and len(own.split()) >= 3:
                said_elsewhere = own in catalogue.procedures[slug].description
                assert said_elsewhere or any(s in own for s in sentences.get(slug, [])), (town.slug, slug)


@pytest.fixture
def broken_catalogue(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", folder)
    return folder


def _edit(path: Path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_validator_reports_missing_required_field(broken_catalogue):
    _edit(broken_catalogue / "procedures/poda-arboles.yml", lambda d: d.pop("cost"))
    problems = validate_catalogue(broken_catalogue)
    assert any("poda-arboles.yml" in p and "cost" in p for p in problems)


def test_validator_reports_duplicate_slug(broken_catalogue):
    shutil.copy(broken_catalogue / "procedures/poda-arboles.yml", broken_catalogue / "procedures/poda-2.yml")
    problems = validate_catalogue(broken_catalogue)
    assert any("slug duplicado" in p for p in problems)
    assert any("no coincide con el nombre del archivo" in p for p in problems)


def test_validator_reports_colliding_aliases(broken_catalogue):
    _edit(broken_catalogue / "procedures/reporte-bache.yml", lambda d: d["aliases"].append("Luminaria apagada"))
    problems = validate_catalogue(broken_catalogue)
    assert any("luminaria apagada" in p and "reporte-bache" in p and "reporte-luminaria" in p for p in problems)


def test_validator_reports_a_skip_if_that_names_no_earlier_field_or_a_required_question(broken_catalogue):
    def change(d):
        d["form"]["fields"][0]["skip_if"] = {"no_existe": True}  # the first question: nothing before it

    _edit(broken_catalogue / "procedures/denuncia-microbasural.yml", change)
    problems = validate_catalogue(broken_catalogue)
    assert any("skip_if nombra 'no_existe'" in p for p in problems)
    assert any("con skip_if debe ser opcional" in p for p in problems)


def test_validator_reports_bad_override_and_hours(broken_catalogue):
    def change(d):
        d["procedures"]["overrides"]["no-existe"] = {"cost": "1 UTM"}
        d["offices"][0]["hours"] = "siempre"

    _edit(broken_catalogue / "municipalities/angol.yml", change)
    problems = validate_catalogue(broken_catalogue)
    assert any("no-existe" in p for p in problems)
    assert any("horario" in p for p in problems)


def test_validator_names_the_office_and_what_is_wrong_with_split_hours(broken_catalogue):
    def change(d):
        d["offices"][0]["hours"] = "lun-vie 08:30-13:30, 13:00-17:30; sáb 09:00-12:00"

    _edit(broken_catalogue / "municipalities/angol.yml", change)
    assert validate_catalogue(broken_catalogue) == [
        "municipalities/angol.yml: horario de 'principal': en 'lun-vie 08:30-13:30, 13:00-17:30' "
        "los horarios se superponen o no van en orden: '13:00-17:30'"
    ]


def _set_holidays(folder: Path, town: str, written: str) -> None:
    """Add ``feriados:`` as YAML text to a municipality that has none (a date stays as written)."""
    path = folder / f"municipalities/{town}.yml"
    path.write_text(path.read_text(encoding="utf-8") + f"\nferiados: {written}\n", encoding="utf-8")


def test_national_holidays_of_2026_and_2027(catalogue):
    by_day = {h.day: h.name for h in catalogue.national_holidays}
    for year in (2026, 2027):
        assert len([d for d in by_day if d.year == year]) == 16
    assert by_day[date(2026, 4, 3)] == "Viernes Santo" and by_day[date(2027, 3, 26)] == "Viernes Santo"
    assert by_day[date(2026, 6, 21)] == by_day[date(2027, 6, 21)] == "Día Nacional de los Pueblos Indígenas"
    # Moved to Monday by Ley 19.668 in 2027 (both fall on a Tuesday); on their day in 2026 (Mondays).
    assert by_day[date(2026, 6, 29)] == by_day[date(2027, 6, 28)] == "San Pedro y San Pablo"
    assert by_day[date(2026, 10, 12)] == by_day[date(2027, 10, 11)] == "Encuentro de Dos Mundos"
    assert date(2027, 6, 29) not in by_day and date(2027, 10, 12) not in by_day
    assert {date(2026, 9, 18), date(2026, 9, 19), date(2026, 12, 8), date(2026, 12, 25)} <= set(by_day)


def test_holidays_of_a_municipality_are_national_and_its_own(broken_catalogue):
    _set_holidays(broken_catalogue, "providencia", '[2026-12-07, "2026-12-08"]')
    catalogue = load_catalogue(broken_catalogue)
    days = catalogue.holidays_for("providencia")
    assert days[date(2026, 12, 7)] == "" and days[date(2026, 12, 8)] == "Inmaculada Concepción"
    assert date(2026, 12, 7) not in catalogue.holidays_for("penalolen")
    assert catalogue.municipalities["providencia"].to_dict()["feriados"] == ["2026-12-07", "2026-12-08"]
    assert validate_catalogue(broken_catalogue) == []


@pytest.mark.parametrize(
    "written, said",
    [
        ("[2026-13-01]", "'2026-13-01' no existe"),
        ("[08-12-2026]", "se escribe AAAA-MM-DD"),
        ("[mañana]", "fecha de feriado inválida 'mañana'"),
        ("[2026-12-07, 2026-12-07]", "2026-12-07 se repite"),
    ],
)
def test_validator_reports_a_malformed_holiday_of_a_municipality(broken_catalogue, written, said):
    _set_holidays(broken_catalogue, "providencia", written)
    problems = validate_catalogue(broken_catalogue)
    assert any(p.startswith("municipalities/providencia.yml: feriados:") and said in p for p in problems), problems


@pytest.mark.parametrize(
    "entry, said",
    [
        ("{fecha: 2026-02-30, nombre: Inventado}", "feriado n.º 33: la fecha de feriado '2026-02-30' no existe"),
        ("{fecha: 2026-12-25, nombre: Navidad}", "feriado n.º 33: la fecha 2026-12-25 se repite"),
        ("{fecha: 2026-02-02, nombre: ''}", "feriado n.º 33: falta el nombre"),
        ("{fecha: 2026-02-02}", "feriado n.º 33: se escribe con fecha y nombre"),
    ],
)
def test_validator_reports_a_malformed_national_holiday(broken_catalogue, entry, said):
    path = broken_catalogue / "feriados.yml"
    path.write_text(path.read_text(encoding="utf-8") + f"- {entry}\n", encoding="utf-8")
    problems = validate_catalogue(broken_catalogue)
    assert len(problems) == 1 and problems[0].startswith(f"feriados.yml: {said}"), problems
    with pytest.raises(ValueError, match="feriados.yml"):
        load_catalogue(broken_catalogue)


def test_validator_reports_invalid_yaml(broken_catalogue):
    (broken_catalogue / "procedures/poda-arboles.yml").write_text("slug: [sin cerrar", encoding="utf-8")
    problems = validate_catalogue(broken_catalogue)
    assert problems and "poda-arboles.yml" in problems[0]


def test_loader_merges_importer_file(broken_catalogue):
    imports = broken_catalogue / "imports"
    imports.mkdir()
    (imports / "angol.yml").write_text(yaml.safe_dump({"overrides": {"poda-arboles": {"cost": "$1.000"}}}))
    catalogue = load_catalogue(broken_catalogue)
    assert catalogue.procedure_for("angol", "poda-arboles").cost == "$1.000"
    assert catalogue.procedure_for("angol", "permiso-circulacion").online_url  # own overrides kept


def test_examples_in_form_help_pass_their_own_validation(catalogue):
    """A citizen who copies the example must not get an error."""
    import re
    from datetime import date

    from bot.forms.fields import AnswerContext, validate_answer

    checked = 0
    for proc in catalogue.procedures.values():
        for form_field in proc.form:
            match = re.search(r"por ejemplo:?\s*(.+?)\.?$", form_field.help or "", re.IGNORECASE)
            if match and form_field.type in ("rut", "email", "telefono"):
                example = match.group(1).strip().rstrip(".")
                result = validate_answer(form_field, example, AnswerContext(today=date(2026, 1, 1)))
                assert result.ok, f"{proc.slug}.{form_field.name}: {example!r}"
                checked += 1
    assert checked >= 10


def _by_round_trip(proc, overrides):
    """``with_overrides`` as it was written first: through ``to_dict`` and ``from_dict``."""
    from bot.catalogue.model import Procedure

    return Procedure.from_dict({**proc.to_dict(), **overrides}) if overrides else proc


def test_overrides_apply_as_a_round_trip_through_a_dict_would(catalogue, tmp_path):
    from bot.app.devtools.country_catalogue import write_country_catalogue

    write_country_catalogue(tmp_path / "country", PROJECT_ROOT / "catalogue")
    country = load_catalogue(tmp_path / "country")
    seen = 0
    for loaded in (catalogue, country):
        for town in loaded.municipalities.values():
            for slug, overrides in town.overrides.items():
                if slug in loaded.procedures:
                    base = loaded.procedures[slug]
                    assert base.with_overrides(overrides) == _by_round_trip(base, overrides), (town.slug, slug)
                    seen += 1
    assert seen > 100
    base = catalogue.procedures["retiro-voluminosos"]
    for overrides in (
        {"form": {"fields": [{"name": "x", "type": "texto", "question": "¿x?"}]}, "requirements": None},
        {"form": None, "aliases": ("uno", "dos"), "cost": "Gratis", "unknown": 1},
        {"form": [{"name": "y", "type": "opcion", "question": "¿y?", "options": ["a", "b"]}], "steps": []},
    ):
        changed = base.with_overrides(overrides)
        assert changed == _by_round_trip(base, overrides)
        assert changed.aliases is not base.aliases and changed.requirements is not base.requirements
