"""What every console handler needs: the databases, the channels, the Rasa switch and the catalogue."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import yaml
from aiohttp import web

from bot.answers.procedures import ASPECT_TITLES, aspect_text, procedure_answer
from bot.catalogue.catalogue import Catalogue
from bot.config import PROJECT_ROOT, settings
from bot.handoff.sla import SlaClock
from bot.handoff.transcript import TranscriptReader
from bot.storage.db import Database
from bot.storage.tables import utcnow
from channels.media import MediaFetcher
from channels.registry import ChannelRegistry

log = logging.getLogger(__name__)

SetWithStaff = Callable[[str, bool], Awaitable[None]]

SUMMARY = "resumen"  # the bot's short answer about a procedure, beside its aspects
INSERTABLE_ASPECTS: Tuple[Tuple[str, str], ...] = ((SUMMARY, "Resumen"),) + tuple(
    (key, "Lugar y horario" if key == "lugar" else title) for key, title in ASPECT_TITLES.items()
)


@dataclass
class ConsoleContext:
    """Shared by the console's handlers (stored in the application under ``CONSOLE_KEY``)."""

    db: Database
    reader: TranscriptReader
    channels: Optional[ChannelRegistry]
    set_with_staff: SetWithStaff
    catalogue_provider: Optional[Callable[[], Catalogue]] = None
    secure_cookies: bool = False
    intents: Tuple[str, ...] = field(default_factory=tuple)
    trusted_proxies: List[Any] = field(default_factory=list)  # networks, see bot.app.web.client_address
    clock: Callable[[], datetime] = utcnow  # the queue's "now" (tests freeze it)
    media: Optional[MediaFetcher] = None  # citizens' photos and voice notes (channels/media.py)

    def _catalogue(self) -> Optional[Catalogue]:
        if self.catalogue_provider is None:
            return None
        try:
            return self.catalogue_provider()
        except Exception:  # the console works without names; slugs are shown instead
            log.warning("catálogo no disponible para la consola", exc_info=True)
            return None

    def procedures(self, municipality: str) -> Dict[str, str]:
        """Slug -> name of the municipality's procedures (blocking: may read the database)."""
        catalogue = self._catalogue()
        if catalogue is None or municipality not in catalogue.municipalities:
            return {}
        return {slug: proc.name for slug, proc in catalogue.procedures_for(municipality).items()}

    def procedure_text(self, municipality: str, slug: str, aspect: str) -> Optional[str]:
        """What the assistant answers about one aspect (or ``resumen``) of a procedure as the municipality
        offers it; ``None`` when it does not offer it, the aspect is unknown or there is no catalogue (blocking)."""
        catalogue = self._catalogue()
        town = catalogue.municipalities.get(municipality) if catalogue else None
        if catalogue is None or town is None or aspect not in dict(INSERTABLE_ASPECTS):
            return None
        proc = catalogue.procedure_for(municipality, slug)
        if proc is None:
            return None
        if aspect == SUMMARY:
            return procedure_answer(town, proc, [])[0].text
        return aspect_text(town, proc, aspect)

    def areas(self, municipality: str) -> Dict[str, str]:
        """Slug -> category (the department, as the catalogue names it) of the municipality's procedures."""
        catalogue = self._catalogue()
        if catalogue is None or municipality not in catalogue.municipalities:
            return {}
        return {slug: proc.category for slug, proc in catalogue.procedures_for(municipality).items()}

    def sla_clock(self, municipality: str) -> SlaClock:
        """The first-response clock of the municipality: its main office's hours and its holidays, with the
        limit ``CONSOLE_SLA_MINUTES`` (every minute counts without a catalogue; blocking)."""
        catalogue = self._catalogue()
        town = catalogue.municipalities.get(municipality) if catalogue else None
        holidays = catalogue.holidays_for(municipality) if catalogue and town else {}
        return SlaClock.of(town, holidays, settings().console_sla_minutes)

    def whatsapp_numbers(self, municipality: str) -> Tuple[str, ...]:
        """The municipality's WhatsApp numbers (E.164); empty without a catalogue (blocking: may read the database)."""
        catalogue = self._catalogue()
        town = catalogue.municipalities.get(municipality) if catalogue else None
        return tuple(town.whatsapp_numbers) if town else ()

    def municipalities(self) -> List[Tuple[str, str]]:
        """``(slug, name)`` of every municipality, by name; empty without a catalogue (blocking)."""
        catalogue = self._catalogue()
        towns = catalogue.municipalities.values() if catalogue else ()
        return sorted(((t.slug, t.name) for t in towns), key=lambda item: item[1])

    def municipality_name(self, slug: str) -> str:
        """The municipality's name, or its slug (blocking: may read the database)."""
        catalogue = self._catalogue()
        town = catalogue.municipalities.get(slug) if catalogue else None
        return town.name if town else slug


CONSOLE_KEY = web.AppKey("console", ConsoleContext)


def console(request: web.Request) -> ConsoleContext:
    """The console context of the request's application."""
    return request.app[CONSOLE_KEY]


def domain_intents() -> Tuple[str, ...]:
    """Intent names of ``domain.yml`` (for the review form's suggestions); empty if unreadable."""
    try:
        data = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")) or {}
        names = [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
        return tuple(sorted(n for n in names if isinstance(n, str)))
    except Exception:
        log.warning("no se pudieron leer las intenciones de domain.yml", exc_info=True)
        return ()
