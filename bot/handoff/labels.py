"""Labels of a municipality ("urgente", "reclamo", "seguimiento") that staff attach to handoffs.

A label is created the first time a staffer of the municipality uses its name. Every function takes the
staffer's municipality: another municipality's labels and handoffs are never read nor changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.db import Database
from bot.storage.tables import LABEL_MAX_LENGTH, HandoffLabelRow, HandoffRow, LabelRow

SUGGESTED = ("urgente", "reclamo", "seguimiento")  # offered before a municipality has labels of its own


@dataclass(frozen=True)
class Label:
    """One label of a municipality."""

    id: int
    name: str


def clean_label(name: str) -> str:
    """The label's name as stored (lower case, single spaces); ``ValueError`` with a Spanish message."""
    name = " ".join(name.split()).lower()
    if not name:
        raise ValueError("Escribe el nombre de la etiqueta.")
    if len(name) > LABEL_MAX_LENGTH:
        raise ValueError(f"La etiqueta es demasiado larga (máximo {LABEL_MAX_LENGTH} caracteres).")
    return name


def list_labels(db: Database, municipality: str) -> List[Label]:
    """The municipality's labels, by name."""
    with db.session() as session:
        rows = session.execute(
            select(LabelRow.id, LabelRow.name).where(LabelRow.municipality == municipality).order_by(LabelRow.name)
        ).all()
        return [Label(r.id, r.name) for r in rows]


def _label_id(db: Database, municipality: str, name: str) -> int:
    """The id of the municipality's label ``name``, created when missing."""
    query = select(LabelRow.id).where(LabelRow.municipality == municipality, LabelRow.name == name)
    with db.session() as session:
        found = session.execute(query).scalar()
        if found is not None:
            return found
    try:
        with db.session() as session:
            row = LabelRow(municipality=municipality, name=name)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:  # another staffer created it at this very moment
        with db.session() as session:
            return session.execute(query).scalar_one()


def attach(db: Database, handoff: HandoffRow, name: str, staff: str) -> bool:
    """Attach the label ``name`` (already ``clean_label``-ed) to ``handoff``; ``False`` if it had it already."""
    label_id = _label_id(db, handoff.municipality, name)
    try:
        with db.session() as session:
            if session.get(HandoffLabelRow, (handoff.id, label_id)) is not None:
                return False
            session.add(HandoffLabelRow(handoff_id=handoff.id, label_id=label_id, added_by=staff))
        return True
    except IntegrityError:
        return False


def detach(db: Database, handoff: HandoffRow, label_id: int) -> Optional[str]:
    """Remove one of the municipality's labels from ``handoff``; its name, or ``None`` if it did not carry it."""
    with db.session() as session:
        name = session.execute(
            select(LabelRow.name).where(LabelRow.id == label_id, LabelRow.municipality == handoff.municipality)
        ).scalar()
        if name is None:
            return None
        done = session.execute(
            delete(HandoffLabelRow).where(
                HandoffLabelRow.handoff_id == handoff.id, HandoffLabelRow.label_id == label_id
            )
        ).rowcount
        return name if done else None


def labels_of(db: Database, municipality: str, handoff_ids: Iterable[int]) -> Dict[int, List[Label]]:
    """The labels each of these handoffs of the municipality carries, by name."""
    ids = list(handoff_ids)
    if not ids:
        return {}
    with db.session() as session:
        rows = session.execute(
            select(HandoffLabelRow.handoff_id, LabelRow.id, LabelRow.name)
            .join(LabelRow, LabelRow.id == HandoffLabelRow.label_id)
            .where(HandoffLabelRow.handoff_id.in_(ids), LabelRow.municipality == municipality)
            .order_by(LabelRow.name)
        ).all()
    found: Dict[int, List[Label]] = {}
    for handoff_id, label_id, name in rows:
        found.setdefault(handoff_id, []).append(Label(label_id, name))
    return found


def labelled(municipality: str, name: str) -> ColumnElement:
    """A condition on ``HandoffRow``: it carries the municipality's label ``name``."""
    return HandoffRow.id.in_(
        select(HandoffLabelRow.handoff_id)
        .join(LabelRow, LabelRow.id == HandoffLabelRow.label_id)
        .where(LabelRow.municipality == municipality, LabelRow.name == name)
    )
