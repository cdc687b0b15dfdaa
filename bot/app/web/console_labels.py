"""HTML of labels and internal notes in the console: chips in the queue, the queue's label filter, and
the conversation page's label and note forms (every form that changes something carries the CSRF token)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.app.web.console_render import Markup, fragment, join, options
from bot.handoff import labels
from bot.handoff.labels import Label
from bot.storage.db import Database
from bot.storage.tables import LABEL_MAX_LENGTH, NOTE_MAX_LENGTH


def label_filter(query: Any) -> Optional[str]:
    """The label the query string filters by (``etiqueta``), or ``None`` (none, or not a valid name)."""
    try:
        return labels.clean_label(str(query.get("etiqueta", ""))[:100])
    except ValueError:
        return None


def with_labels(
    db: Database, municipality: str, rows: Sequence[Any], names: Dict[str, str]
) -> Tuple[Sequence[Any], Dict[str, str], Dict[int, List[Label]], List[Label]]:
    """``rows`` and ``names`` with the labels of each row and the municipality's labels (blocking)."""
    return rows, names, labels.labels_of(db, municipality, [r.id for r in rows]), labels.list_labels(db, municipality)


def label_chips(attached: Sequence[Label]) -> Markup:
    """The labels of a handoff as chips, or a dash."""
    if not attached:
        return Markup("—")
    return join((fragment('<span class="etiqueta">$name</span>', name=label.name) for label in attached), " ")


def label_filter_form(
    known: Sequence[Label], chosen: Optional[str], action: str = "/consola", keep: Optional[Dict[str, str]] = None
) -> Markup:
    """A GET form choosing the label to filter by (works without JavaScript); ``keep``: other filters of the
    page (name -> value) the form sends along as hidden fields."""
    if not known and not chosen:
        return Markup("")
    choices = [(label.name, label.name) for label in known]
    if chosen and chosen not in {label.name for label in known}:
        choices.append((chosen, chosen))
    hidden = join(
        fragment('<input type="hidden" name="$name" value="$value">', name=name, value=value)
        for name, value in (keep or {}).items()
        if value
    )
    return fragment(
        '<form method="get" action="$action" class="filtro">$hidden<p><label for="etiqueta">Etiqueta</label> '
        '<select id="etiqueta" name="etiqueta">$options</select> <button type="submit">Filtrar</button></p></form>',
        action=action,
        hidden=hidden,
        options=options(choices, chosen, empty="Todas"),
    )


def labels_section(handoff_id: int, attached: Sequence[Label], known: Sequence[Label], csrf: str) -> Markup:
    """The conversation's labels, each with a button to remove it, and the form to add one."""
    items = join(
        fragment(
            '<li><span class="etiqueta">$name</span> <form method="post" action="/consola/conversacion/$id/etiquetas" '
            'class="en-linea"><input type="hidden" name="csrf" value="$csrf"><input type="hidden" name="accion" '
            'value="quitar"><input type="hidden" name="etiqueta" value="$label_id"><button type="submit" '
            'aria-label="Quitar la etiqueta $name">Quitar</button></form></li>',
            id=handoff_id,
            csrf=csrf,
            name=label.name,
            label_id=label.id,
        )
        for label in attached
    )
    suggested = sorted({label.name for label in known} | set(labels.SUGGESTED))
    return fragment(
        '<section class="tarjeta" aria-labelledby="etiquetas-titulo"><h2 id="etiquetas-titulo">Etiquetas</h2>'
        '<ul class="etiquetas">$items</ul>'
        '<form method="post" action="/consola/conversacion/$id/etiquetas" class="formulario">'
        '<input type="hidden" name="csrf" value="$csrf"><input type="hidden" name="accion" value="agregar">'
        '<p><label for="nueva-etiqueta">Agregar etiqueta</label> <input id="nueva-etiqueta" name="nombre" '
        'list="etiquetas-sugeridas" maxlength="$max" required> <button type="submit">Agregar etiqueta</button></p>'
        '<datalist id="etiquetas-sugeridas">$suggested</datalist></form></section>',
        id=handoff_id,
        csrf=csrf,
        items=items or Markup("<li>Sin etiquetas.</li>"),
        max=LABEL_MAX_LENGTH,
        suggested=join(fragment('<option value="$v">', v=name) for name in suggested),
    )


def note_form(handoff_id: int, csrf: str, draft: str = "") -> Markup:
    """The form to add an internal note (only staff read it)."""
    return fragment(
        '<section class="tarjeta" aria-labelledby="nota-titulo"><h2 id="nota-titulo">Nota interna</h2>'
        '<form method="post" action="/consola/conversacion/$id/nota" class="formulario">'
        '<input type="hidden" name="csrf" value="$csrf"><p><label for="nota">Nota para el equipo (el vecino o '
        'vecina no la ve)</label><textarea id="nota" name="nota" rows="3" maxlength="$max" required>$draft'
        '</textarea></p><p><button type="submit">Guardar nota</button></p></form></section>',
        id=handoff_id,
        csrf=csrf,
        max=NOTE_MAX_LENGTH,
        draft=draft,
    )
