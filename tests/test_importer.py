"""Importing a municipality's Transparencia Activa "Trámites y requisitos de acceso a servicios" table.

The fixtures are one realistic table (12 rows: 11 procedures and an empty row) written the ways a
municipality hands it over: the portal's CSV (comma, UTF-8 with BOM), an old municipal copy
(semicolons, Latin-1, the old template's headers in capitals and ``¿Realizable en línea?``), an
Excel workbook (built here with openpyxl, with a title row and a hyperlink) and the portal page
saved from a browser (two data tables, one nested in a layout table, lists and links in the cells).
"""

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from bot.app.cli import main
from bot.catalogue.files import load_catalogue
from bot.catalogue.hours import describe_hours
from bot.catalogue.importer import import_table, write_import
from bot.catalogue.review import ReviewError, accept, pending_entries, reject
from bot.catalogue.table_cells import extract_hours, field_of_header, read_online, split_items
from bot.catalogue.validate import validate_catalogue
from bot.config import PROJECT_ROOT
from bot.matching.procedures import ProcedureMatcher

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "transparencia_angol.csv"
PORTAL_CSV = FIXTURES / "tramites_portal_utf8_bom.csv"
OLD_CSV = FIXTURES / "tramites_antiguo_latin1.csv"
PORTAL_HTML = FIXTURES / "tramites_portal.html"
NEW_PROCEDURE = "Taller de Cerámica del Centro Cultural"
NEW_SLUG = "taller-ceramica-centro-cultural"


def portal_xlsx(tmp_path: Path) -> Path:
    """The portal's table as an Excel workbook: a title row above the headers, a hyperlink cell, blank rows below."""
    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(PORTAL_CSV.read_text(encoding="utf-8-sig"))))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Trámites y requisitos de acceso a servicios — Municipalidad de Angol"])
    for row in rows:
        sheet.append(row)
    link = sheet.cell(row=5, column=4)  # Certificado de Residencia: the link behind a text
    assert link.value == "https://www.angol.cl/certificados"
    link.value = "Ir al trámite"
    link.hyperlink = "https://www.angol.cl/certificados"
    for blank in range(len(rows) + 2, len(rows) + 6):
        sheet.cell(row=blank, column=1).number_format = "@"  # formatted but empty rows, as Excel leaves them
    path = tmp_path / "tramites.xlsx"
    workbook.save(path)
    return path


@pytest.fixture(params=["csv-utf8-bom-comma", "csv-latin1-semicolon", "xlsx", "html"])
def table_file(request, tmp_path) -> Path:
    return {
        "csv-utf8-bom-comma": lambda: PORTAL_CSV,
        "csv-latin1-semicolon": lambda: OLD_CSV,
        "xlsx": lambda: portal_xlsx(tmp_path),
        "html": lambda: PORTAL_HTML,
    }[request.param]()


@pytest.fixture
def folder(tmp_path) -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", copy)
    return copy


def test_the_fixtures_are_what_they_say():
    assert PORTAL_CSV.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        OLD_CSV.read_bytes().decode("utf-8")
    assert OLD_CSV.read_bytes().decode("latin-1").splitlines()[0].count(";") == 8
    page = PORTAL_HTML.read_text(encoding="utf-8")
    assert page.count('class="tabla-datos"') == 2 and page.index('class="layout"') < page.index('id="primera"')


def test_every_format_imports_the_same_table(table_file, catalogue):
    report = import_table(table_file.read_bytes(), catalogue, "angol", filename=table_file.name)
    assert report.rows == 12
    assert len(report.overrides) == 10
    assert [r["nombre"] for r in report.review if r["tipo"] == "tramite"] == [NEW_PROCEDURE]
    assert len(report.errors) == 1 and "fila vacía" in report.errors[0]  # only the empty row
    # Every named row is matched or sent to review, none rejected.
    assert len(report.overrides) + 1 == 11

    circulation = report.overrides["permiso-circulacion"]
    assert circulation["steps"] == ["Revisar documentos", "Pagar en caja o en línea", "Retirar el sello"]
    assert circulation["requirements"] == [
        "Padrón o certificado de inscripción",
        "Revisión técnica vigente",
        "Seguro obligatorio (SOAP)",
        "Permiso del año anterior",
    ]
    assert circulation["online_url"] == "https://www.angol.cl/permiso-de-circulacion"
    assert circulation["place"] == "Dirección de Tránsito, Lautaro 55, Angol"  # the hours were taken out
    assert circulation["office"] == "transito" and report.overrides["multas-jpl"]["office"] == "jpl"  # Angol's own
    licence = report.overrides["licencia-conducir"]
    assert "online_url" not in licence  # "No tiene"
    assert licence["steps"] == [
        "Solicitar hora",
        "Rendir examen teórico",
        "Rendir examen práctico",
        "Retirar la licencia",
    ]
    assert licence["requirements"] == [
        "Cédula de identidad vigente",
        "Certificado de residencia",
        "Licencia de enseñanza básica",
    ]
    assert report.overrides["certificado-residencia"]["online_url"] == "https://www.angol.cl/certificados"
    licence_fee = report.overrides["patente-comercial"]
    assert licence_fee["steps"] == ["Presentar la solicitud", "Pagar 1.5 UTM de derechos", "Retirar la patente"]
    assert "Informe de la Dirección de Obras según D.F.L. 1 de 2006" in licence_fee["requirements"]
    assert "online_url" not in report.overrides["retiro-voluminosos"]  # "-"
    assert "online_url" not in report.overrides["registro-social-hogares"]  # "No"
    pruning = report.overrides["poda-arboles"]
    assert "online_url" not in pruning and "Solo en oficina municipal" in pruning["additional_info"]
    assert len(report.warnings) == 1 and "Solo en oficina municipal" in report.warnings[0]


def test_hours_in_the_places_go_to_review_as_offices(table_file, catalogue):
    report = import_table(table_file.read_bytes(), catalogue, "angol", filename=table_file.name)
    offices = {r["propuesta"]["key"]: r for r in report.review if r["tipo"] == "oficina"}
    # Angol's Tránsito and Juzgado already have the hours the table gives: nothing to review for them.
    assert set(offices) == {"dideco", "centro-cultural-angol"}
    dideco = offices["dideco"]
    assert dideco["propuesta"]["hours"] == "lun-vie 08:30-14:00"  # "de 08:30 a 14:00 hrs."
    assert dideco["propuesta"]["address"] == "Bunster 339"
    assert "lunes a viernes" in dideco["motivo"]  # only times were written
    assert sorted(dideco["tramites"]) == ["certificado-residencia", "registro-social-hogares"]
    culture = offices["centro-cultural-angol"]["propuesta"]
    assert describe_hours(culture["hours"]) == "Martes y jueves de 15:00 a 19:00"
    assert culture["address"] == "Av. O'Higgins 200"


def test_a_new_row_gets_a_ready_procedure(catalogue):
    report = import_table(PORTAL_CSV.read_bytes(), catalogue, "angol", filename=PORTAL_CSV.name)
    entry = next(r for r in report.review if r["tipo"] == "tramite")
    proposal = entry["propuesta"]
    assert proposal["slug"] == NEW_SLUG
    assert proposal["category"] == "Organizaciones Comunitarias"  # from "Centro Cultural"
    assert proposal["steps"] == ["Inscribirse en el Centro Cultural", "Asistir a la primera clase"]
    assert proposal["requirements"] == ["Cédula de identidad", "Ser mayor de 15 años"]
    assert "taller de ceramica" in proposal["aliases"] and len(proposal["aliases"]) >= 6
    assert entry["completar"] == ["response_time"]  # the table has no such column


def test_accepting_review_entries_makes_a_valid_catalogue_that_finds_the_procedure(folder, catalogue):
    write_import(import_table(PORTAL_HTML.read_bytes(), catalogue, "angol", "p.html"), folder, "angol")
    entries = {e["nombre"]: e["id"] for e in pending_entries(folder, "angol")}
    assert "oficina 'centro-cultural-angol'" in accept(folder, "angol", entries["Centro Cultural de Angol"])
    assert NEW_SLUG in accept(folder, "angol", entries[NEW_PROCEDURE])
    assert "descartada" in reject(folder, "angol", entries["DIDECO"])
    assert pending_entries(folder, "angol") == []
    with pytest.raises(ReviewError):
        accept(folder, "angol", entries["DIDECO"])

    assert validate_catalogue(folder) == []
    loaded = load_catalogue(folder)
    workshop = loaded.procedure_for("angol", NEW_SLUG)
    assert workshop is not None and workshop.cost == "$10.000 mensuales"
    office = loaded.municipalities["angol"].office_for(workshop)
    assert office is not None and office.hours == "mar, jue 15:00-19:00"
    assert loaded.procedure_for("angol", "licencia-conducir").steps[-1] == "Retirar la licencia"
    assert loaded.procedure_for("providencia", "licencia-conducir").steps[-1] != "Retirar la licencia"
    assert loaded.procedure_for("providencia", NEW_SLUG) is None
    matcher = ProcedureMatcher(loaded.names_and_aliases())
    for message in ("taller de ceramica", "quiero inscribirme en el taller de cerámica del centro cultural"):
        found = matcher.best(message)
        assert found is not None and found.key == NEW_SLUG, message

    # A later import of the same table keeps what was accepted and matches the row to it.
    again = import_table(PORTAL_HTML.read_bytes(), loaded, "angol", "p.html")
    assert not [r for r in again.review if r["tipo"] == "tramite"]
    write_import(again, folder, "angol")
    assert validate_catalogue(folder) == []
    assert load_catalogue(folder).procedure_for("angol", NEW_SLUG) is not None


def test_a_row_can_be_accepted_as_a_base_procedure(folder, catalogue):
    write_import(import_table(FIXTURE.read_bytes(), catalogue, "angol"), folder, "angol")
    licence = next(e for e in pending_entries(folder, "angol") if e["nombre"] == "Licencia")
    assert "licencia-conducir" in licence["motivo"]
    accept(folder, "angol", licence["id"], as_override="licencia-conducir")
    assert validate_catalogue(folder) == []
    licence_now = load_catalogue(folder).procedure_for("angol", "licencia-conducir")
    assert licence_now.requirements == ["Examen"]
    assert licence_now.steps == catalogue.procedure_for("angol", "licencia-conducir").steps  # the row had none


def test_the_old_plain_csv_still_imports(catalogue):
    report = import_table(FIXTURE.read_bytes(), catalogue, "angol")
    assert report.rows == 8
    circulation = report.overrides["permiso-circulacion"]
    assert circulation["requirements"] == ["Padrón", "Revisión técnica", "SOAP"]
    assert circulation["steps"] == ["Pago", "Retiro del sello"]
    assert report.overrides["retiro-voluminosos"]["cost"] == "$5.000 por m³"
    # A link that is no URL is kept as text with a warning, the row is not lost.
    residence = report.overrides["certificado-residencia"]
    assert "www angol cl/residencia" in residence["additional_info"] and "online_url" not in residence
    assert any("línea 4" in w for w in report.warnings)
    assert any("línea 5" in e and "falta el nombre" in e for e in report.errors)
    assert any("línea 6" in e and "vacía" in e for e in report.errors)
    reasons = {r["nombre"]: r["motivo"] for r in report.review}
    assert reasons["Permiso para Taller de Cerámica"].startswith("sin coincidencia")
    assert "repite" in reasons["Permiso de circulacion (segunda cuota)"]
    accounted = len(report.overrides) + len(report.review) + len(report.errors)
    assert accounted == report.rows  # every row ends somewhere


def test_command_line_import_and_review(folder, capsys):
    assert main(["catalogue", "import", "angol", str(PORTAL_HTML), "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Para revisión manual: 1" in out and "Filas con errores: 1" in out
    assert yaml.safe_load((folder / "imports" / "angol.yml").read_text(encoding="utf-8"))["review"]
    assert main(["catalogue", "review", "angol", "--list", "--dir", str(folder)]) == 0
    listed = capsys.readouterr().out
    assert NEW_PROCEDURE in listed and NEW_SLUG in listed
    number = next(e["id"] for e in pending_entries(folder, "angol") if e["nombre"] == NEW_PROCEDURE)
    assert main(["catalogue", "review", "angol", "--accept", str(number), "--dir", str(folder)]) == 0
    assert "agregado" in capsys.readouterr().out
    assert main(["catalogue", "review", "angol", "--reject", "999", "--dir", str(folder)]) == 1
    assert main(["catalogue", "review", "angol", "--accept", "2", "--tramite", "no-existe", "--dir", str(folder)]) == 1
    assert main(["catalogue", "review", "narnia", "--dir", str(folder)]) == 1
    assert main(["catalogue", "validate", "--dir", str(folder)]) == 0


def test_unknown_municipality_and_file_without_name_column(catalogue, tmp_path):
    with pytest.raises(KeyError):
        import_table(FIXTURE.read_bytes(), catalogue, "narnia")
    with pytest.raises(ValueError):
        import_table("Columna;Otra\nx;y\n".encode(), catalogue, "angol")
    missing = tmp_path / "no-existe.csv"
    assert main(["catalogue", "import", "angol", str(missing), "--dir", str(tmp_path)]) == 1


@pytest.mark.parametrize(
    "header, field",
    [
        ("Nombre del trámite o servicio", "name"),
        ("NOMBRE DEL TRAMITE", "name"),
        ("Descripción del Servicio", "description"),
        ("Requisitos y antecedentes", "requirements"),
        ("Trámites en línea", "online_url"),
        ("¿Realizable en línea?", "online_flag"),
        ("Trámites a realizar o etapas", "steps"),
        ("Trámite a realizar o etapas", "steps"),
        ("Etapas", "steps"),
        ("Valor", "cost"),
        ("Lugar donde se realiza el trámite", "place"),
        ("Información complementaria", "additional_info"),
        ("Fecha de publicación", None),
    ],
)
def test_headers(header, field):
    assert field_of_header(header) == field


@pytest.mark.parametrize(
    "cell, items",
    [
        (
            "1. Presentar documentos 2. Pagar en caja 3. Retirar permiso",
            ["Presentar documentos", "Pagar en caja", "Retirar permiso"],
        ),
        ("1) Solicitar hora\n2) Asistir", ["Solicitar hora", "Asistir"]),
        ("Paso 1: Llenar el formulario. Paso 2: Pagar", ["Llenar el formulario", "Pagar"]),
        ("• Cédula • Padrón", ["Cédula", "Padrón"]),
        ("- Cédula\n- Padrón", ["Cédula", "Padrón"]),
        ("Cédula; Certificado según D.F.L. 1 de 2006", ["Cédula", "Certificado según D.F.L. 1 de 2006"]),
        ("Pagar 1.5 UTM en caja", ["Pagar 1.5 UTM en caja"]),
        ("Solicitud según Ley 20.285", ["Solicitud según Ley 20.285"]),
        ("Ley 20.285. 1. Ingresar la solicitud 2. Esperar", ["Ley 20.285", "Ingresar la solicitud", "Esperar"]),
        ("", []),
    ],
)
def test_lists_are_split_where_the_municipality_numbered_them(cell, items):
    assert split_items(cell) == items


@pytest.mark.parametrize(
    "place, rest, hours",
    [
        ("Dirección de Tránsito. Lunes a viernes 8:30 a 13:30", "Dirección de Tránsito", "lun-vie 08:30-13:30"),
        ("DIDECO, de 08:30 a 14:00 hrs.", "DIDECO", "lun-vie 08:30-14:00"),
        (
            "Oficina de Partes. Horario de atención: lunes a jueves de 8:30 a 17:30 y viernes de 8:30 a 16:30 hrs.",
            "Oficina de Partes",
            "lun-jue 08:30-17:30; vie 08:30-16:30",
        ),
        (
            "Edificio Consistorial (lunes a viernes 08:30 - 13:30 y 15:00 a 17:00)",
            "Edificio Consistorial",
            "lun-vie 08:30-13:30, 15:00-17:00",
        ),
        ("Calle 5 Norte 1234", "Calle 5 Norte 1234", None),
        (  # a saved page's <br> lines: office, address, hours
            "Dirección de Tránsito\nAv. O'Higgins 1305, Curacaví\nLunes a viernes 8:30 a 13:30",
            "Dirección de Tránsito, Av. O'Higgins 1305, Curacaví",
            "lun-vie 08:30-13:30",
        ),
    ],
)
def test_hours_are_taken_out_of_the_place(place, rest, hours):
    found = extract_hours(place)
    assert (found.place, found.hours) == (rest, hours)


@pytest.mark.parametrize(
    "cell, url, text",
    [
        ("No tiene", None, None),
        ("No aplica", None, None),
        ("NO", None, None),
        ("-", None, None),
        ("", None, None),
        ("https://www.muni.cl/pago", "https://www.muni.cl/pago", None),
        ("Ir al trámite https://www.muni.cl/pago", "https://www.muni.cl/pago", None),
        ("www.muni.cl/pago", "https://www.muni.cl/pago", None),
        ("Solo en la oficina", None, "Solo en la oficina"),
    ],
)
def test_the_online_column(cell, url, text):
    found = read_online(cell)
    assert (found.url, found.text) == (url, text)


def test_a_messier_export_still_imports(catalogue):
    """A title line, columns the importer does not use, the header repeated, '1.-' steps, wrapped items."""
    rows = [
        ["Trámites y requisitos de acceso a servicios"],
        [
            "Unidad responsable",
            "Nombre del trámite o servicio",
            "Enlace a la publicación",
            "Requisitos y antecedentes",
            "Trámites en línea",
            "Trámites a realizar o etapas",
            "Valor",
            "Lugar donde se realiza",
            "Fecha de publicación",
        ],
        [
            "Dirección de Tránsito",
            "Permiso de circulación",
            "https://www.muni.cl/doc.pdf",
            "- Padrón\n- Revisión técnica vigente,\nemitida por una planta autorizada\n- SOAP",
            "No tiene",
            "1.- Revisar documentos 2.- Pagar 3.- Retirar el sello",
            "Según tasación",
            "Tránsito",
            "01/03/2026",
        ],
        [
            "Unidad responsable",
            "Nombre del trámite o servicio",
            "Enlace a la publicación",
            "Requisitos y antecedentes",
            "Trámites en línea",
            "Trámites a realizar o etapas",
            "Valor",
            "Lugar donde se realiza",
            "Fecha de publicación",
        ],
        [
            "Dirección de Desarrollo Comunitario",
            "Ayuda para útiles escolares",
            "",
            "Requisitos:\n1. Cédula\n2. Registro Social de Hogares",
            "No aplica",
            "Etapa 1: Postular. Etapa 2: Evaluación social",
            "Gratuito",
            "Oficina 3",
            "",
        ],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    report = import_table(out.getvalue().encode("cp1252"), catalogue, "angol", filename="tramites.csv")
    assert report.rows == 2 and report.errors == [] and report.warnings == []
    circulation = report.overrides["permiso-circulacion"]
    assert "online_url" not in circulation  # the publication's link is not the online procedure
    assert circulation["requirements"] == [
        "Padrón",
        "Revisión técnica vigente, emitida por una planta autorizada",
        "SOAP",
    ]
    assert circulation["steps"] == ["Revisar documentos", "Pagar", "Retirar el sello"]
    supplies = next(r for r in report.review if r["tipo"] == "tramite")
    assert supplies["propuesta"]["category"] == "DIDECO"  # from the responsible unit, the place says nothing
    assert supplies["propuesta"]["requirements"] == ["Cédula", "Registro Social de Hogares"]
    assert supplies["propuesta"]["steps"] == ["Postular", "Evaluación social"]


def test_the_old_binary_excel_is_refused_with_a_way_out(catalogue):
    with pytest.raises(ValueError, match="xlsx"):
        import_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, catalogue, "angol", filename="tramites.xls")


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Renovación de Licencia de Conducir", "renovacion-licencia"),  # the chat matcher finds two here
        ("Licencia de Conducir", "licencia-conducir"),
        ("Permiso para Eventos en Espacio Público", "permiso-evento"),
        ("Constitución de Organizaciones Comunitarias", "organizacion-comunitaria"),
        ("Denuncia de Microbasurales", "denuncia-microbasural"),
        ("Certificado de Antigüedad", None),
        ("Taller de Cerámica del Centro Cultural", None),
    ],
)
def test_a_procedure_named_as_the_portal_names_it(catalogue, name, slug):
    rows = [["Nombre del trámite o servicio", "Valor"], [name, "Gratuito"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = import_table(out.getvalue().encode(), catalogue, "penalolen", filename="t.csv")
    if slug is None:
        assert report.overrides == {} and report.review[0]["nombre"] == name
    else:
        assert list(report.overrides) == [slug]


def test_a_name_another_municipality_uses_is_flagged_before_it_clashes(folder, catalogue):
    write_import(import_table(PORTAL_CSV.read_bytes(), catalogue, "angol", PORTAL_CSV.name), folder, "angol")
    accept(folder, "angol", next(e["id"] for e in pending_entries(folder, "angol") if e["nombre"] == NEW_PROCEDURE))
    report = import_table(PORTAL_CSV.read_bytes(), load_catalogue(folder), "providencia", PORTAL_CSV.name)
    entry = next(r for r in report.review if r["tipo"] == "tramite")
    assert entry["propuesta"]["slug"] == NEW_SLUG + "-2"
    assert entry["completar"][0] == "name" and "cambie 'name'" in entry["motivo"]
    assert not set(entry["propuesta"]["aliases"]) & set(load_catalogue(folder).procedure_for("angol", NEW_SLUG).aliases)


def test_excel_hint_line_and_responsive_html_tables(catalogue):
    hinted = "sep=;\nNombre del trámite o servicio;Valor\nPermiso de circulación;Según tasación, en caja\n"
    report = import_table(hinted.encode("utf-8"), catalogue, "angol", filename="t.csv")
    assert report.overrides["permiso-circulacion"]["cost"] == "Según tasación, en caja"
    cells = '<td data-label="Nombre del trámite o servicio">{}</td><td data-label="Trámites en línea">{}</td>'
    link = '<a href="https://www.angol.cl/pc">Pagar</a>'
    first, second = cells.format("Permiso de circulación", link), cells.format("Certificado de residencia", "No tiene")
    page = f"<html><body><table><tbody><tr>{first}</tr><tr>{second}</tr></tbody></table></body></html>"
    report = import_table(page.encode("utf-8"), catalogue, "angol", filename="t.html")
    assert report.overrides["permiso-circulacion"]["online_url"] == "https://www.angol.cl/pc"
    assert "online_url" not in report.overrides["certificado-residencia"]


def test_an_amount_typed_in_excel_stays_in_pesos(catalogue, tmp_path):
    """Spanish Excel stores "$3.500" as the number 3500 with a currency format: the citizen must read "$3.500"."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nombre del trámite o servicio", "Valor"])
    sheet.append(["Certificado de residencia", 3500])
    sheet.append(["Permiso de circulación", 2.5])
    sheet.cell(row=2, column=2).number_format = '"$"#,##0'
    path = tmp_path / "montos.xlsx"
    workbook.save(path)
    report = import_table(path.read_bytes(), catalogue, "angol", filename=path.name)
    assert report.overrides["certificado-residencia"]["cost"] == "$3.500"
    assert report.overrides["permiso-circulacion"]["cost"] == "2.5"


def test_proposed_aliases_never_repeat_a_word_at_the_end(catalogue):
    from bot.catalogue.proposals import make_aliases

    aliases = make_aliases("Arriendo de Gimnasio Municipal", set())
    assert "gimnasio municipal" in aliases
    assert not [a for a in aliases if a.endswith("municipal municipal")]
