"""Who did what in the console: one ``AuditRow`` per action (views and exports included)."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.tables import AuditRow


def record_audit(db: Database, staff: str, municipality: str, action: str, handoff_id: Optional[int] = None,
                 target: Optional[str] = None, detail: Optional[str] = None) -> None:
    """Keep one audit entry."""
    with db.session() as session:
        session.add(AuditRow(staff=staff, municipality=municipality, action=action, handoff_id=handoff_id,
                             target=(target or None) and target[:200], detail=detail))


def audit_entries(db: Database, municipality: str, action: Optional[str] = None,
                  handoff_id: Optional[int] = None) -> List[AuditRow]:
    """The municipality's audit entries, oldest first (optionally of one action or handoff)."""
    query = select(AuditRow).where(AuditRow.municipality == municipality)
    if action:
        query = query.where(AuditRow.action == action)
    if handoff_id is not None:
        query = query.where(AuditRow.handoff_id == handoff_id)
    with db.session() as session:
        return list(session.execute(query.order_by(AuditRow.id)).scalars().all())
