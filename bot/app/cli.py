"""Command line: ``python -m bot <command>``.

run                          start the whole assistant (embedded defaults)
shell                        chat in the terminal with a running assistant
db init                      create or update our tables (same as db upgrade)
db upgrade                   apply the pending schema migrations
db current [--check]         the database's migration revision
db revision -m MESSAGE       write a new migration for the table changes
catalogue validate           check catalogue/ and exit non-zero on problems
catalogue load               validate and load catalogue/ into the database
catalogue import M FILE      import municipality M's Transparencia "Trámites" table (CSV, XLSX, HTML)
catalogue review M           list, accept or reject what an import left for review
municipality new COMUNA      create a municipality's file (contact flags, --tabla FILE to import)
eval [--heldout FILE]        NLU report on the held-out set, then the multi-turn scenarios
web                          back-office API and notifications (started by run)
token create|revoke M NAME   back-office API tokens of municipality M
staff create M USER NAME     console account (--rol admin --primero for the first admin)
retention [--dias N]         delete conversations older than RETENTION_DAYS (daily cron)
forget SENDER_ID             delete one conversation's personal data
telegram set-webhook URL     point every municipality's bot at the public webhook
telegram poll                development: read Telegram with getUpdates, no public URL
bench [--workers N] [--skip-plain] [--production --replicas N] [--nlu-only]   load, speed, memory
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from bot import log_safety
from bot.config import catalogue_dir, database_url, settings


def _db():
    from bot.storage.db import Database

    db = Database(database_url())
    db.create_schema()
    return db


def _known_municipality(slug: str, folder=None) -> bool:
    """Whether the catalogue has this municipality (prints an error when not)."""
    from bot.catalogue.files import load_catalogue

    if slug in load_catalogue(folder or catalogue_dir()).municipalities:
        return True
    print(f"ERROR municipalidad desconocida: {slug}", file=sys.stderr)
    return False


def _shown_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_db_init(_args) -> int:
    from bot.storage.migrate import current_revision

    db = _db()
    try:
        print(f"Tablas listas en {_shown_url(db.url)} (revisión {current_revision(db)})")
    finally:
        db.dispose()
    return 0


def cmd_db_upgrade(_args) -> int:
    from bot.storage.db import Database
    from bot.storage.migrate import current_revision, upgrade

    db = Database(database_url())
    try:
        before = current_revision(db)
        after = upgrade(db)
    except Exception as exc:  # reported to the operator; nothing half done on PostgreSQL
        print(f"ERROR no se pudo actualizar la base de datos {_shown_url(db.url)}: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if before == after:
        print(f"La base de datos {_shown_url(db.url)} ya estaba al día (revisión {after}).")
    else:
        print(f"Base de datos {_shown_url(db.url)} actualizada: revisión {before or 'ninguna'} → {after}.")
    return 0


def cmd_db_current(args) -> int:
    from bot.storage.db import Database
    from bot.storage.migrate import current_revision, head_revision

    db = Database(database_url())
    try:
        revision = current_revision(db)
    except Exception as exc:
        print(f"ERROR no se pudo leer la base de datos {_shown_url(db.url)}: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    head = head_revision()
    if revision is None:
        print("ninguna (base de datos vacía o creada sin migraciones; ejecute: python -m bot db upgrade)")
    elif revision == head:
        print(f"{revision} (al día)")
    else:
        print(f"{revision} (falta llegar a {head}; ejecute: python -m bot db upgrade)")
    return 0 if revision == head or not args.check else 1


def cmd_db_revision(args) -> int:
    from bot.storage.revisions import new_revision

    try:
        path = new_revision(args.message, autogenerate=not args.vacia, allow_empty=args.vacia)
    except ValueError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(
        f"Migración creada: {path}\nRevísela (autogenerate no detecta renombres) y pruébela con: "
        "python -m pytest -q tests/test_migrations.py"
    )
    return 0


def cmd_catalogue_validate(args) -> int:
    from bot.catalogue.validate import validate_catalogue

    problems = validate_catalogue(args.dir or catalogue_dir())
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    if problems:
        print(f"El catálogo tiene {len(problems)} problema(s).", file=sys.stderr)
        return 1
    print("Catálogo válido.")
    return 0


def cmd_catalogue_load(args) -> int:
    from bot.catalogue.files import load_catalogue
    from bot.storage.catalogue_store import load_catalogue_into

    if cmd_catalogue_validate(args) != 0:
        return 1
    folder = args.dir or catalogue_dir()
    catalogue = load_catalogue(folder)
    changed = load_catalogue_into(_db(), catalogue, str(folder))
    state = "cargado" if changed else "sin cambios"
    print(
        f"Catálogo {state}: {len(catalogue.procedures)} trámites base, {len(catalogue.municipalities)} municipalidades."
    )
    return 0


def _import_into(folder, municipality: str, table: str) -> int:
    """Import a table file into ``imports/<municipality>.yml`` and print the summary."""
    from pathlib import Path

    from bot.catalogue.files import load_catalogue
    from bot.catalogue.importer import import_table, write_import
    from bot.catalogue.table_files import TableFileError

    try:
        raw = Path(table).read_bytes()
        report = import_table(raw, load_catalogue(folder), municipality, filename=table)
    except (OSError, KeyError, ValueError, TableFileError) as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    path = write_import(report, folder, municipality)
    print(report.summary())
    print(f"Escrito {path}.")
    return 0


def cmd_catalogue_import(args) -> int:
    from pathlib import Path

    folder = Path(args.dir or catalogue_dir())
    code = _import_into(folder, args.municipio, args.csv)
    if code == 0:
        print(
            f"Revise lo pendiente con: python -m bot catalogue review {args.municipio} --list; "
            "luego: python -m bot catalogue load"
        )
    return code


def cmd_catalogue_review(args) -> int:
    from pathlib import Path

    from bot.catalogue.files import load_catalogue
    from bot.catalogue.importer import describe_entry
    from bot.catalogue.review import ReviewError, accept, pending_entries, reject

    folder = Path(args.dir or catalogue_dir())
    if not _known_municipality(args.municipio, folder):
        return 1
    if args.tramite and (args.accept is None or args.tramite not in load_catalogue(folder).procedures):
        print(f"ERROR --tramite va con --accept N y un trámite del catálogo base: {args.tramite!r}", file=sys.stderr)
        return 1
    try:
        if args.accept is not None:
            print(f"Aceptado: {accept(folder, args.municipio, args.accept, args.tramite)}")
        elif args.reject is not None:
            print(f"Descartado: {reject(folder, args.municipio, args.reject)}")
    except ReviewError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    entries = pending_entries(folder, args.municipio)
    if not entries:
        print("No quedan entradas por revisar. Valide y cargue: python -m bot catalogue load")
        return 0
    print(f"Por revisar ({len(entries)}):")
    for entry in entries:
        print(f"  {describe_entry(entry)}")
        proposal = entry.get("propuesta") or {}
        if entry["tipo"] == "tramite":
            print(
                f"      propuesta: {proposal.get('slug')} ({proposal.get('category')}), alias: "
                + ", ".join(proposal.get("aliases", [])[:3])
            )
        else:
            print(f"      propuesta: oficina {proposal.get('key')}, horario {proposal.get('hours')!r}")
        if entry.get("completar"):
            print(f"      por completar: {', '.join(entry['completar'])}")
    print(
        f"Acepte con --accept N (o --accept N --tramite SLUG para usarla en un trámite del catálogo), "
        f"descarte con --reject N. Archivo: imports/{args.municipio}.yml"
    )
    return 0


def _ask(label: str, given: Optional[str], check) -> str:
    """A flag's value checked, or (in a terminal, when not given) asked until valid; '' skips."""
    from bot.catalogue.onboarding import OnboardingError

    if given is not None:
        return check(given) if given.strip() else ""
    if not sys.stdin.isatty():
        return ""
    while True:
        answer = input(f"{label} (Enter para omitir): ").strip()
        if not answer:
            return ""
        try:
            return check(answer)
        except OnboardingError as exc:
            print(f"  {exc}")


def cmd_municipality_new(args) -> int:
    from pathlib import Path

    from bot.catalogue import onboarding as ob
    from bot.catalogue.files import load_catalogue
    from bot.catalogue.review import pending_entries
    from bot.catalogue.validate import validate_catalogue

    folder = Path(args.dir or catalogue_dir())
    catalogue = load_catalogue(folder)
    try:
        commune = ob.find_commune(args.comuna, catalogue.communes)
        served = ob.existing_for(catalogue, commune)
        slug = args.slug or served or ob.propose_slug(commune, catalogue.municipalities)
        if served and not args.force:
            raise ob.OnboardingError(
                f"{commune.name} ya tiene su archivo: municipalities/{served}.yml (use --force para reemplazarlo)"
            )
        taken_codes = [m.code for m in catalogue.municipalities.values() if m.slug != slug]
        code = ob.check_code(args.codigo, taken_codes) if args.codigo else ob.propose_code(commune.name, taken_codes)
        new = ob.NewMunicipality(commune=commune, slug=slug, code=code)
        new.office_name = " ".join((args.oficina or ob.DEFAULT_OFFICE_NAME).split())
        new.phone = _ask("Teléfono general", args.telefono, ob.check_phone)
        new.email = _ask("Correo de contacto (OIRS)", args.email, ob.check_email)
        new.website = _ask("Sitio web", args.web, ob.check_website)
        new.address = _ask("Dirección de la oficina principal", args.direccion, lambda v: " ".join(v.split()))
        hours = _ask(f"Horario de atención (p. ej. {ob.DEFAULT_HOURS})", args.horario, ob.check_hours)
        if hours:
            new.hours, new.hours_assumed = hours, False
        if args.whatsapp:
            new.whatsapp = [ob.check_phone(n) for n in args.whatsapp if n.strip()]  # "" = not yet
        new.telegram_bot = (args.telegram or "").lstrip("@")
        path = ob.write_municipality(new, folder, force=args.force)
    except ob.OnboardingError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(f"Creado {path}: {commune.name} ({commune.region}), slug {slug}, código de folio {code}.")
    if args.tabla and _import_into(folder, slug, args.tabla) != 0:
        return 1
    problems = validate_catalogue(folder)
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    print("Catálogo válido." if not problems else f"El catálogo tiene {len(problems)} problema(s).")
    missing = ob.still_missing(load_catalogue(folder), slug, len(pending_entries(folder, slug)), new.hours_assumed)
    if missing:
        print("Falta:")
        for item in missing:
            print(f"  - {item}")
    print(f"Siguientes pasos: python -m bot catalogue review {slug} --list; luego python -m bot catalogue load")
    return 1 if problems else 0


def cmd_run(_args) -> int:
    from bot.app.launcher import run

    return run()


def cmd_shell(args) -> int:
    from bot.app.shell import chat

    return chat(args.url, args.sender)


def cmd_eval(args) -> int:
    from bot.evaluation import evaluate

    code = evaluate(args.heldout, args.model, args.report)
    if args.voice:
        from bot.evaluation import evaluate_voice

        print()
        code = max(code, evaluate_voice(args.voice, args.model, args.voice_report))
    if args.scenarios and not args.nlu_only:
        from pathlib import Path

        from bot.app.devtools.scenarios import run_all

        report = Path(args.scenarios_report)
        for path in (p.strip() for p in args.scenarios.split(",") if p.strip()):
            suffix = Path(path).stem.replace("scenarios", "")
            print()
            run_all(path, str(report.with_name(report.stem + suffix + report.suffix)), workers=args.workers)
    return code


def cmd_telegram_webhook(args) -> int:
    import asyncio

    from channels.telegram_api import TelegramSender, TelegramSettings

    settings = TelegramSettings.from_env()
    if not settings.configured:
        print("ERROR Faltan TELEGRAM_BOT_TOKENS y TELEGRAM_WEBHOOK_SECRET.", file=sys.stderr)
        return 1
    results = asyncio.run(TelegramSender(settings).set_webhooks(args.url))
    for slug, ok in results.items():
        print(f"{slug}: {'webhook configurado' if ok else 'Telegram rechazó el webhook'}")
    return 0 if all(results.values()) else 1


def cmd_telegram_poll(args) -> int:
    import asyncio

    from channels.telegram_api import TelegramSettings
    from channels.telegram_polling import poll

    settings = TelegramSettings.from_env()
    if not settings.configured:
        print("ERROR Faltan TELEGRAM_BOT_TOKENS y TELEGRAM_WEBHOOK_SECRET.", file=sys.stderr)
        return 1
    print(f"Leyendo mensajes de Telegram y enviándolos a {args.webhook} (Ctrl-C para detener)")
    try:
        asyncio.run(poll(settings, args.webhook))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_web(args) -> int:
    from bot.app.web.app import run_web

    run_web(args.host, args.port)
    return 0


def cmd_token_create(args) -> int:
    from bot.storage.tokens import create_token

    if not _known_municipality(args.municipio):
        return 1
    try:
        token = create_token(_db(), args.municipio, args.nombre)
    except ValueError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(f"Token para {args.municipio} ({args.nombre}). Guárdelo: no se puede volver a mostrar.\n{token}")
    return 0


def cmd_token_revoke(args) -> int:
    from bot.storage.tokens import revoke_token

    count = revoke_token(_db(), args.municipio, args.nombre)
    print(f"Tokens revocados: {count}")
    return 0 if count else 1


def cmd_staff_create(args) -> int:
    import getpass
    import os

    from bot.staff.accounts import create_first_admin, create_staff

    if not _known_municipality(args.municipio):
        return 1
    password = os.environ.get("CONSOLE_PASSWORD") or getpass.getpass("Contraseña: ")
    try:
        if args.rol == "admin" and args.primero:
            create_first_admin(_db(), args.municipio, args.usuario, args.nombre, password)
        else:
            create_staff(_db(), args.municipio, args.usuario, args.nombre, password, args.rol)
    except ValueError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    print(f"Cuenta {args.usuario} ({args.rol}) creada para {args.municipio}.")
    return 0


def cmd_retention(args) -> int:

    from bot.handoff.transcript import TranscriptReader, tracker_url
    from bot.storage.personal_data import delete_older_than

    days = args.dias or settings().retention_days
    counts = delete_older_than(_db(), TranscriptReader(tracker_url()), days)
    print(f"Datos con más de {days} días borrados: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_forget(args) -> int:
    from bot.handoff.transcript import TranscriptReader, tracker_url
    from bot.storage.personal_data import delete_citizen_data

    counts = delete_citizen_data(_db(), TranscriptReader(tracker_url()), args.conversacion)
    print("Borrado: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_bench(args) -> int:
    from bot.app.benchmark import run_benchmark, run_nlu_benchmark

    if args.nlu_only:
        output = "results/bench_nlu.json" if args.output == "results/bench.json" else args.output
        return run_nlu_benchmark(args.model, args.heldout, args.rounds, output)
    if args.voice_only:
        from bot.app.benchmark import run_voice_benchmark

        return run_voice_benchmark("results/bench_voice.json" if args.output == "results/bench.json" else args.output)
    if args.production:
        from bot.app.benchmark import run_production_benchmark

        output = "results/bench_production.json" if args.output == "results/bench.json" else args.output
        report = run_production_benchmark(
            args.replicas, args.conversations, args.rounds, args.think_ms, output, args.keep, args.postgres, args.redis
        )
        failed = [f for f in report["replicas"].values() if f["errors"] or f["lost_replies"]]
        return 1 if failed else 0
    report = run_benchmark(
        args.conversations, args.rounds, args.skip_plain, args.think_ms, args.output, args.keep, workers=args.workers
    )
    if not args.skip_voice:
        from bot.app.benchmark import run_voice_benchmark

        run_voice_benchmark("results/bench_voice.json")
    return 0 if report["assistant"]["errors"] == 0 and report["assistant"]["lost_replies"] == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Asistente municipal")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="inicia el asistente completo").set_defaults(func=cmd_run)

    shell = sub.add_parser("shell", help="conversa en la terminal con el asistente en marcha")
    shell.add_argument("--url", default=None, help="URL del canal REST")
    shell.add_argument("--sender", default="terminal", help="identificador del vecino")
    shell.set_defaults(func=cmd_shell)

    db = sub.add_parser("db", help="base de datos").add_subparsers(dest="db_command", required=True)
    db.add_parser("init", help="crea o actualiza las tablas (igual que 'db upgrade')").set_defaults(func=cmd_db_init)
    db.add_parser("upgrade", help="aplica las migraciones pendientes").set_defaults(func=cmd_db_upgrade)
    current = db.add_parser("current", help="muestra la revisión de migraciones de la base de datos")
    current.add_argument("--check", action="store_true", help="termina con código 1 si faltan migraciones")
    current.set_defaults(func=cmd_db_current)
    revision = db.add_parser("revision", help="crea una migración con los cambios de las tablas")
    revision.add_argument("-m", "--message", required=True, help="qué cambia, p. ej. 'agrega columna x a requests'")
    revision.add_argument("--vacia", action="store_true", help="migración vacía, para escribirla a mano")
    revision.set_defaults(func=cmd_db_revision)

    cat = sub.add_parser("catalogue", help="catálogo de trámites").add_subparsers(dest="cat_command", required=True)
    for name, func, help_text in (
        ("validate", cmd_catalogue_validate, "revisa los datos del catálogo"),
        ("load", cmd_catalogue_load, "carga el catálogo en la base de datos"),
    ):
        p = cat.add_parser(name, help=help_text)
        p.add_argument("--dir", default=None, help="carpeta del catálogo (por defecto catalogue/)")
        p.set_defaults(func=func)

    imp = cat.add_parser("import", help="importa la tabla de Trámites de Transparencia Activa (CSV, XLSX o HTML)")
    imp.add_argument("municipio", help="slug de la municipalidad, p. ej. angol")
    imp.add_argument("csv", metavar="archivo", help="la tabla: CSV, XLSX o la página HTML guardada del portal")
    imp.add_argument("--dir", default=None, help="carpeta del catálogo (por defecto catalogue/)")
    imp.set_defaults(func=cmd_catalogue_import)

    rev = cat.add_parser("review", help="lista, acepta o descarta lo que la importación dejó por revisar")
    rev.add_argument("municipio", help="slug de la municipalidad")
    decision = rev.add_mutually_exclusive_group()
    decision.add_argument("--list", action="store_true", help="muestra lo pendiente (lo que hace sin opciones)")
    decision.add_argument("--accept", type=int, metavar="N", help="acepta la entrada N")
    decision.add_argument("--reject", type=int, metavar="N", help="descarta la entrada N")
    rev.add_argument("--tramite", metavar="SLUG", help="con --accept: usa la fila como datos propios de ese trámite")
    rev.add_argument("--dir", default=None, help="carpeta del catálogo (por defecto catalogue/)")
    rev.set_defaults(func=cmd_catalogue_review)

    muni = sub.add_parser("municipality", help="municipalidades").add_subparsers(dest="muni_command", required=True)
    new = muni.add_parser("new", help="crea el archivo de una municipalidad nueva")
    new.add_argument("comuna", help="nombre de la comuna, como se escriba (p. ej. nunoa)")
    new.add_argument("--slug", default=None, help="identificador (por defecto, el nombre sin tildes)")
    new.add_argument("--codigo", default=None, help="código de folio de tres letras (por defecto, uno libre)")
    new.add_argument("--telefono", default=None, help="teléfono general")
    new.add_argument("--email", default=None, help="correo de contacto")
    new.add_argument("--web", default=None, help="sitio web")
    new.add_argument("--direccion", default=None, help="dirección de la oficina principal")
    new.add_argument(
        "--oficina", default=None, help="nombre de la oficina principal (por defecto Edificio Consistorial)"
    )
    new.add_argument("--horario", default=None, help="horario de la oficina principal, p. ej. 'lun-vie 08:30-14:00'")
    new.add_argument("--whatsapp", action="append", default=None, help="número de WhatsApp (se puede repetir)")
    new.add_argument("--telegram", default=None, help="usuario del bot de Telegram")
    new.add_argument("--tabla", default=None, help="tabla de Trámites de Transparencia (CSV, XLSX o HTML) a importar")
    new.add_argument("--force", action="store_true", help="reemplaza el archivo si ya existe")
    new.add_argument("--dir", default=None, help="carpeta del catálogo (por defecto catalogue/)")
    new.set_defaults(func=cmd_municipality_new)

    ev = sub.add_parser("eval", help="evalúa el NLU en el conjunto reservado")
    ev.add_argument(
        "--heldout",
        default=(
            "eval/heldout.yml,eval/heldout_b.yml,eval/heldout_c.yml,eval/heldout_d.yml,eval/heldout_e.yml,"
            "eval/heldout_f.yml,eval/heldout_g.yml,eval/heldout_h.yml,eval/heldout_i.yml,eval/heldout_j.yml,"
            "eval/heldout_k.yml,eval/heldout_l.yml,eval/heldout_m.yml,eval/heldout_n.yml,eval/heldout_o.yml,"
            "eval/heldout_p.yml"
        ),
        help="conjuntos reservados, separados por comas",
    )
    ev.add_argument("--model", default="models")
    ev.add_argument("--report", default="results/nlu_heldout.json")
    ev.add_argument(
        "--scenarios",
        default=(
            "eval/scenarios.yml,eval/scenarios_b.yml,eval/scenarios_c.yml,eval/scenarios_d.yml,"
            "eval/scenarios_e.yml,eval/scenarios_f.yml,eval/scenarios_g.yml,eval/scenarios_h.yml,"
            "eval/scenarios_i.yml,eval/scenarios_j.yml,eval/scenarios_k.yml,eval/scenarios_l.yml,eval/scenarios_m.yml,"
            "eval/scenarios_n.yml,eval/scenarios_o.yml,eval/scenarios_p.yml,eval/scenarios_q.yml,eval/scenarios_r.yml,"
            "eval/scenarios_s.yml,eval/scenarios_t.yml,eval/scenarios_u.yml,eval/scenarios_v.yml,"
            "eval/scenarios_w.yml,eval/scenarios_x.yml,eval/scenarios_y.yml,eval/scenarios_z.yml,eval/scenarios_aa.yml,"
            "eval/scenarios_ab.yml,eval/scenarios_ac.yml,eval/scenarios_ad.yml,eval/scenarios_ae.yml,eval/scenarios_af.yml"
        ),
        help="escenarios de varias vueltas, archivos separados por comas",
    )
    ev.add_argument("--scenarios-report", default="results/scenarios.json")
    ev.add_argument("--workers", type=int, default=4, help="escenarios a la vez")
    ev.add_argument("--nlu-only", action="store_true", help="solo el conjunto reservado de mensajes")
    ev.add_argument("--voice", default="eval/voice.yml", help="notas de voz sintéticas ('' para omitirlas)")
    ev.add_argument("--voice-report", default="results/voice.json")
    ev.set_defaults(func=cmd_eval)

    web = sub.add_parser("web", help="API de la municipalidad y avisos (lo inicia 'run')")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    web.set_defaults(func=cmd_web)

    tok = sub.add_parser("token", help="tokens de la API por municipalidad").add_subparsers(
        dest="token_command", required=True
    )
    for name, func, help_text in (
        ("create", cmd_token_create, "crea un token y lo muestra una vez"),
        ("revoke", cmd_token_revoke, "revoca los tokens con ese nombre"),
    ):
        p = tok.add_parser(name, help=help_text)
        p.add_argument("municipio", help="slug de la municipalidad")
        p.add_argument("nombre", help="quién usa el token, p. ej. 'sistema-oirs'")
        p.set_defaults(func=func)

    staff = sub.add_parser("staff", help="cuentas de la consola").add_subparsers(dest="staff_command", required=True)
    create = staff.add_parser("create", help="crea una cuenta (contraseña por CONSOLE_PASSWORD o teclado)")
    create.add_argument("municipio")
    create.add_argument("usuario")
    create.add_argument("nombre")
    create.add_argument("--rol", choices=["agente", "admin"], default="agente")
    create.add_argument("--primero", action="store_true", help="primer admin de la municipalidad")
    create.set_defaults(func=cmd_staff_create)

    retention = sub.add_parser("retention", help="borra conversaciones más antiguas que RETENTION_DAYS (diario)")
    retention.add_argument("--dias", type=int, default=None)
    retention.set_defaults(func=cmd_retention)

    forget = sub.add_parser("forget", help="borra los datos de una conversación (id de conversación)")
    forget.add_argument("conversacion")
    forget.set_defaults(func=cmd_forget)

    tg = sub.add_parser("telegram", help="bots de Telegram").add_subparsers(dest="tg_command", required=True)
    hook = tg.add_parser("set-webhook", help="apunta el webhook de cada bot a esta URL pública")
    hook.add_argument("url", help="p. ej. https://asistente.muni.cl/webhooks/telegram/webhook")
    hook.set_defaults(func=cmd_telegram_webhook)
    poll = tg.add_parser("poll", help="modo desarrollo: lee mensajes con getUpdates, sin URL pública")
    poll.add_argument("--webhook", default="http://127.0.0.1:5005/webhooks/telegram/webhook")
    poll.set_defaults(func=cmd_telegram_poll)

    bench = sub.add_parser("bench", help="mide latencia y memoria (conversaciones por WhatsApp, y rasa init)")
    bench.add_argument("--conversations", type=int, default=20, help="conversaciones simultáneas")
    bench.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="conversaciones seguidas por cada simultánea (con --nlu-only: pasadas por el conjunto)",
    )
    bench.add_argument("--think-ms", type=int, default=0, help="pausa del vecino entre mensajes")
    bench.add_argument("--skip-plain", action="store_true", help="sin el bot de 'rasa init'")
    bench.add_argument("--workers", type=int, default=2, help="procesos de Rasa del asistente (RASA_WORKERS)")
    bench.add_argument(
        "--production", action="store_true", help="disposición de producción (PostgreSQL y Redis), de 1 a --replicas"
    )
    bench.add_argument("--replicas", type=int, default=2, help="con --production: hasta cuántos procesos de Rasa")
    bench.add_argument("--postgres", default=None, help="con --production: URL de administración de PostgreSQL")
    bench.add_argument("--redis", default=None, help="con --production: Redis, host:puerto (127.0.0.1:6379)")
    bench.add_argument("--nlu-only", action="store_true", help="solo el NLU, en este proceso")
    bench.add_argument("--voice-only", action="store_true", help="solo la transcripción de notas de voz")
    bench.add_argument("--skip-voice", action="store_true", help="sin la transcripción de notas de voz")
    bench.add_argument("--output", default="results/bench.json")
    bench.add_argument("--keep", action="store_true", help="conserva las bases y registros de la corrida")
    bench.add_argument("--model", default="models")
    bench.add_argument("--heldout", default="eval/heldout.yml")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point."""
    log_safety.install()
    args = build_parser().parse_args(argv)
    return args.func(args)
