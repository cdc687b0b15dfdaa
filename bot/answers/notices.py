"""The citizen's notices of request status changes, rendered from the data a notice keeps."""

from __future__ import annotations

from typing import Any, Dict, Mapping

from bot.storage.requests import NOTICE_CHANGED, NOTICE_NEWS, STATUS_LABELS


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def status_notice(kind: str, variables: Mapping[str, Any]) -> str:
    """The notice's text: the status changed (``NOTICE_CHANGED``) or there is news on the same
    status (``NOTICE_NEWS``), with the note on a second line when there is one.

    ``variables`` as stored by ``change_status``: folio, status (slug), procedure (the name shown
    to the citizen) and note. ``ValueError`` for an unknown kind.
    """
    folio, procedure, label = variables["folio"], variables["procedure"], _label(variables["status"])
    if kind == NOTICE_CHANGED:
        text = f"Tu solicitud {folio} ({procedure}) cambió a: {label}."
    elif kind == NOTICE_NEWS:
        text = f"Hay novedades en tu solicitud {folio} ({procedure}), que sigue en estado: {label}."
    else:
        raise ValueError(f"tipo de aviso desconocido: {kind!r}")
    note = variables.get("note") or ""
    return f"{text}\nNota: {note}" if note else text


def template_variables(variables: Mapping[str, Any]) -> Dict[str, str]:
    """The variables of WhatsApp's approved template: {"1": folio, "2": status label, "3": procedure}."""
    return {"1": variables["folio"], "2": _label(variables["status"]), "3": variables["procedure"]}
