"""``Catalogue``: the base procedures, the municipalities and what each one offers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Dict, List, Optional, Set, Tuple

from bot.catalogue.holidays import Holiday, holidays_by_day
from bot.catalogue.model import Municipality, NonMunicipalProcedure, Procedure
from bot.text import normalise


@dataclass(frozen=True)
class Commune:
    """A commune of Chile (official name with accents) and its region."""

    name: str
    region: str
    aliases: Tuple[str, ...] = ()


@dataclass
class Catalogue:
    """Everything the assistant knows about procedures, for every municipality."""

    procedures: Dict[str, Procedure]
    municipalities: Dict[str, Municipality]
    non_municipal: Dict[str, NonMunicipalProcedure] = field(default_factory=dict)
    communes: List[Commune] = field(default_factory=list)
    national_holidays: List[Holiday] = field(default_factory=list)

    def procedures_for(self, municipality: str) -> Dict[str, Procedure]:
        """The procedures a municipality offers, with its overrides applied, by slug."""
        town = self.municipalities[municipality]
        offered = {
            slug: proc.with_overrides(town.overrides.get(slug, {}))
            for slug, proc in self.procedures.items()
            if slug not in town.exclude
        }
        offered.update({p.slug: p for p in town.extra})
        return offered

    def procedure_for(self, municipality: str, slug: str) -> Optional[Procedure]:
        """One procedure as this municipality offers it, or ``None`` if it does not."""
        return self.procedures_for(municipality).get(slug)

    def holidays_for(self, municipality: str) -> Dict[date, str]:
        """Every day a municipality's offices are closed: Chile's public holidays (with their names)
        and its own ``feriados`` (named ""). The one place that puts the two together."""
        return holidays_by_day(self.national_holidays, self.municipalities[municipality].holidays)

    def municipality_for_commune(self, commune: str) -> Optional[Municipality]:
        """The served municipality of a commune (accent- and case-insensitive), if any."""
        key = normalise(commune)
        return next((m for m in self.municipalities.values() if normalise(m.comuna) == key), None)

    def municipality_for_whatsapp(self, number: str) -> Optional[Municipality]:
        """The municipality whose WhatsApp sender is ``number`` (E.164, ``whatsapp:`` allowed)."""
        number = number.replace("whatsapp:", "").strip()
        return next((m for m in self.municipalities.values() if number in m.whatsapp_numbers), None)

    def municipality_for_telegram_bot(self, username: str) -> Optional[Municipality]:
        """The municipality whose Telegram bot has this username."""
        key = username.lstrip("@").lower()
        return next((m for m in self.municipalities.values() if m.telegram_bot.lower() == key), None)

    def names_and_aliases(self) -> Dict[str, List[str]]:
        """Every way of naming each procedure (base, municipality-only and national), by slug."""
        index: Dict[str, List[str]] = {}
        every = list(self.procedures.values()) + [p for m in self.municipalities.values() for p in m.extra]
        for proc in every:
            index.setdefault(proc.slug, [])
            index[proc.slug].extend([proc.name, *proc.aliases])
        for national in self.non_municipal.values():
            index[national.slug] = [national.name, *national.aliases]
        return index

    def procedure_sentences(self) -> Dict[str, List[str]]:
        """What the catalogue says of each procedure (description, steps, requirements, extra
        information, with every municipality's own wording), split into sentences, by slug.

        A sentence said of two procedures ("Cédula de identidad vigente.") tells neither apart,
        so it is left out.
        """
        told: List[Tuple[str, str]] = []
        for slug, proc in self._every_version():
            texts = [proc.description, proc.additional_info or "", *proc.steps, *proc.requirements]
            told += [(slug, sentence) for text in texts for sentence in sentences_of(text)]
        owners: Dict[str, Set[str]] = {}
        for slug, sentence in told:
            owners.setdefault(normalise(sentence), set()).add(slug)
        by_slug: Dict[str, List[str]] = {}
        for slug, sentence in told:
            kept = by_slug.setdefault(slug, [])
            if len(owners[normalise(sentence)]) == 1 and sentence not in kept:
                kept.append(sentence)
        return {slug: sentences for slug, sentences in by_slug.items() if sentences}

    def _every_version(self) -> List[Tuple[str, Procedure]]:
        """Each procedure as the base defines it and as each municipality words it."""
        versions = [(p.slug, p) for p in self.procedures.values()]
        for town in self.municipalities.values():
            versions += [(p.slug, p) for p in town.extra]
            versions += [
                (slug, self.procedures[slug].with_overrides(values))
                for slug, values in town.overrides.items()
                if slug in self.procedures
            ]
        return versions

    def any_procedure(self, slug: str) -> Optional[Procedure]:
        """A base or municipality-only procedure by slug, as the catalogue defines it (no overrides)."""
        if slug in self.procedures:
            return self.procedures[slug]
        return next((p for town in self.municipalities.values() for p in town.extra if p.slug == slug), None)

    def display_name(self, slug: str) -> str:
        """The name of any procedure, municipal or national, for messages."""
        if slug in self.procedures:
            return self.procedures[slug].name
        if slug in self.non_municipal:
            return self.non_municipal[slug].name
        for town in self.municipalities.values():
            for proc in town.extra:
                if proc.slug == slug:
                    return proc.name
        return slug


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
# A sentence this short ("Gratuito.", "Ver web.") says nothing of which procedure it is.
_MIN_SENTENCE_WORDS = 3


def sentences_of(text: str) -> List[str]:
    """The sentences of a catalogue text that have a few words at least."""
    parts = (part.strip() for part in _SENTENCE_END.split(text or ""))
    return [part for part in parts if len(part.split()) >= _MIN_SENTENCE_WORDS]
