"""What the citizen reads when staff close a handoff: the closing message, the satisfaction question
(1–5, then an optional comment) and the thanks."""

from __future__ import annotations

from bot.answers.reply import Button, Reply, intent_payload

CLOSING_TEXT = "Cerramos esta conversación. Gracias por escribirnos."
QUESTION_TEXT = "¿Cómo evaluarías la atención que recibiste? Responde con un número del 1 al 5 (5 = muy buena)."
COMMENT_TEXT = "¿Quieres dejarnos un comentario? (opcional)"
SCORE_NAMES = ("Muy mala", "Mala", "Regular", "Buena", "Muy buena")  # 1 to 5
# The button payloads: ``informar`` with entities only buttons carry (domain.yml), so no new intent nor rule.
SCORE_ENTITY, COMMENT_ENTITY = "puntaje", "comentario"
NO_COMMENT = "no"


def score_payload(score: int, comment: str = "") -> str:
    """What a score (and a comment typed with it) reaches the assistant as."""
    entities = {SCORE_ENTITY: str(score)}
    if comment:
        entities[COMMENT_ENTITY] = comment
    return intent_payload("informar", **entities)


def comment_payload(comment: str) -> str:
    """What a comment typed after the score reaches the assistant as (``NO_COMMENT``: none)."""
    return intent_payload("informar", **{COMMENT_ENTITY: comment})


def survey_question(numbered_buttons: bool) -> Reply:
    """The question with one button per score; ``numbered_buttons`` puts the number on them (Telegram's
    keyboard), while a numbered list (WhatsApp) numbers them itself."""
    return Reply(
        QUESTION_TEXT,
        [
            Button(f"{i} · {name}" if numbered_buttons else name, score_payload(i))
            for i, name in enumerate(SCORE_NAMES, 1)
        ],
    )


def thanks_for_score(with_comment: bool) -> Reply:
    """Thanks for the score; without a comment, the offer to leave one."""
    if with_comment:
        return Reply("¡Gracias por tu evaluación y tu comentario! Si necesitas algo más, escríbeme.")
    return Reply(f"¡Gracias por tu evaluación! {COMMENT_TEXT}", [Button("No, gracias", comment_payload(NO_COMMENT))])


def thanks_for_comment() -> Reply:
    """Thanks for the comment."""
    return Reply(
        "¡Gracias por tu comentario! Lo leerá el equipo de la municipalidad. Si necesitas algo más, escríbeme."
    )


def no_comment() -> Reply:
    """The citizen leaves no comment."""
    return Reply("¡Gracias! Si necesitas algo más, aquí estoy.")


def survey_over() -> Reply:
    """An answer to a question that no longer waits for one (answered, too old, data deleted)."""
    return Reply("Esa encuesta ya se cerró. ¡Gracias de todas formas! ¿Te ayudo con algo más?")
