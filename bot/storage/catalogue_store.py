"""The catalogue in the database: load it from the files, read it back.

``load_catalogue_into`` replaces the catalogue tables in one transaction, so readers
never see half a catalogue; replicas starting together load it one at a time.
``CatalogueCache`` gives the action server the current catalogue and notices a new load
within ``refresh_seconds``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Optional

from sqlalchemy import delete, func, select, text

from bot.catalogue.catalogue import Catalogue, Commune
from bot.catalogue.holidays import Holiday
from bot.catalogue.model import Municipality, NonMunicipalProcedure, Procedure
from bot.storage.db import Database
from bot.storage.tables import (
    CatalogueVersionRow,
    CommuneRow,
    MunicipalityRow,
    NationalHolidayRow,
    NonMunicipalRow,
    ProcedureRow,
)

# PostgreSQL advisory lock held while loading, so two replicas starting at once do not collide.
LOAD_LOCK_KEY = 0x636174616C6F67  # "catalog"


def fingerprint(catalogue: Catalogue) -> str:
    """A hash of the catalogue's content, to tell whether a load changed anything."""
    payload = {
        "procedures": {s: p.to_dict() for s, p in sorted(catalogue.procedures.items())},
        "municipalities": {s: m.to_dict() for s, m in sorted(catalogue.municipalities.items())},
        "non_municipal": {s: vars(p) for s, p in sorted(catalogue.non_municipal.items())},
        "communes": sorted((vars(c) for c in catalogue.communes), key=lambda c: c["name"]),
        "national_holidays": sorted((h.day.isoformat(), h.name) for h in catalogue.national_holidays),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()


def load_catalogue_into(db: Database, catalogue: Catalogue, source: str) -> bool:
    """Replace the stored catalogue; returns ``False`` when it was already identical."""
    digest = fingerprint(catalogue)
    with db.session() as session:
        if session.get_bind().dialect.name == "postgresql":  # SQLite serialises writers by itself
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK_KEY})
        newest = session.execute(
            select(CatalogueVersionRow).order_by(CatalogueVersionRow.id.desc()).limit(1)
        ).scalar_one_or_none()
        if newest is not None and newest.fingerprint == digest:
            return False
        for table in (ProcedureRow, MunicipalityRow, NonMunicipalRow, CommuneRow, NationalHolidayRow):
            session.execute(delete(table))
        session.add_all(
            ProcedureRow(slug=p.slug, name=p.name, category=p.category, data=p.to_dict())
            for p in catalogue.procedures.values()
        )
        session.add_all(
            MunicipalityRow(slug=m.slug, name=m.name, comuna=m.comuna, code=m.code, data=m.to_dict())
            for m in catalogue.municipalities.values()
        )
        session.add_all(NonMunicipalRow(slug=p.slug, data=vars(p)) for p in catalogue.non_municipal.values())
        session.add_all(
            CommuneRow(name=c.name, region=c.region, aliases="|".join(c.aliases)) for c in catalogue.communes
        )
        session.add_all(NationalHolidayRow(day=h.day, name=h.name) for h in catalogue.national_holidays)
        session.add(CatalogueVersionRow(source=source, fingerprint=digest))
    return True


def read_catalogue(db: Database) -> Catalogue:
    """The catalogue as stored in the database."""
    with db.session() as session:
        procedures = [Procedure.from_dict(r.data) for r in session.execute(select(ProcedureRow)).scalars()]
        towns = [Municipality.from_dict(r.data) for r in session.execute(select(MunicipalityRow)).scalars()]
        national = [NonMunicipalProcedure(**r.data) for r in session.execute(select(NonMunicipalRow)).scalars()]
        communes = [
            Commune(r.name, r.region, tuple(filter(None, r.aliases.split("|"))))
            for r in session.execute(select(CommuneRow).order_by(CommuneRow.name)).scalars()
        ]
        holidays = [
            Holiday(r.day, r.name)
            for r in session.execute(select(NationalHolidayRow).order_by(NationalHolidayRow.day)).scalars()
        ]
    return Catalogue(
        procedures={p.slug: p for p in procedures},
        municipalities={m.slug: m for m in towns},
        non_municipal={p.slug: p for p in national},
        communes=communes,
        national_holidays=holidays,
    )


def newest_fingerprint(db: Database) -> Optional[str]:
    """Fingerprint of the newest catalogue load (one indexed row), or ``None`` when nothing was loaded."""
    with db.session() as session:
        return session.execute(
            select(CatalogueVersionRow.fingerprint).order_by(CatalogueVersionRow.id.desc()).limit(1)
        ).scalar_one_or_none()


def current_version(db: Database) -> Optional[int]:
    """Id of the newest catalogue load, or ``None`` when nothing was loaded."""
    with db.session() as session:
        return session.execute(select(func.max(CatalogueVersionRow.id))).scalar()


class CatalogueCache:
    """The current catalogue for a long-running process, reloaded after a new load."""

    def __init__(self, db: Database, refresh_seconds: float = 30.0) -> None:
        self._db = db
        self._refresh = refresh_seconds
        self._lock = threading.Lock()
        self._catalogue: Optional[Catalogue] = None
        self._version: Optional[int] = None
        self._checked = 0.0

    def get(self) -> Catalogue:
        """The catalogue; checks the stored version at most every ``refresh_seconds``."""
        with self._lock:
            now = time.monotonic()
            if self._catalogue is None or now - self._checked >= self._refresh:
                version = current_version(self._db)
                if version is None:
                    raise LookupError("el catálogo no está cargado: ejecuta 'python -m bot catalogue load'")
                if version != self._version:
                    self._catalogue = read_catalogue(self._db)
                    self._version = version
                self._checked = now
            assert self._catalogue is not None  # read above whenever it was missing
            return self._catalogue
