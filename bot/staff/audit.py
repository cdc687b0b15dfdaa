"""Who did what in the console: one ``AuditRow`` per action (views and exports included)."""

from __future__ import annotations

from typing import Optional

from bot.storage.db import Database
from bot.storage.tables import AuditRow


def record_audit(
    db: Database,
    staff: str,
    municipality: str,
    action: str,
    handoff_id: Optional[int] = None,
    target: Optional[str] = None,
    detail: Optional[str] = None,
) -> None:
    """Keep one audit entry."""
    with db.session() as session:
        session.add(
            AuditRow(
                staff=staff,
                municipality=municipality,
                action=action,
                handoff_id=handoff_id,
                target=(target or None) and target[:200],
                detail=detail,
            )
        )
