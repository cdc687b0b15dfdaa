"""What the channels themselves say to a citizen (not the assistant's answers): apologies,
media they cannot read, long messages cut, old buttons, how to answer a numbered list,
and the staff's hand-back."""

from __future__ import annotations

APOLOGY = "Tuvimos un problema, intenta de nuevo en unos minutos."
MEDIA_REPLIES = {
    "audio": "Por ahora no puedo escuchar audios. ¿Me lo escribes, por favor?",
    "image": "Recibí tu imagen, pero por ahora solo puedo leer texto. Cuéntame por escrito qué necesitas.",
    "video": "Por ahora no puedo ver videos. ¿Me cuentas por escrito qué necesitas?",
    "document": "Recibí tu archivo, pero no puedo abrir documentos. Escríbeme lo que necesitas y te ayudo.",
    "sticker": "¡Buen sticker! Para ayudarte necesito que me escribas qué necesitas.",
    "contact": "Recibí un contacto, pero no puedo usarlo. Escríbeme los datos que quieras darme.",
    "other": "No puedo leer ese tipo de mensaje. ¿Me lo escribes, por favor?",
}
CUT_NOTE = (
    "Tu mensaje es muy largo, así que solo leí la primera parte. Si falta algo importante, "
    "envíamelo en un mensaje más corto, por favor."
)
STALE_BUTTON = "Esa opción ya no está disponible. Escríbeme tu respuesta, por favor."
HAND_BACK_TEXT = "Te devuelvo al asistente virtual. ¿En qué más te ayudo?"


def how_to_answer(options: int) -> str:
    """The line under a numbered list of ``options`` choices (channels without buttons)."""
    numbers = [str(i) for i in range(1, options + 1)]
    if len(numbers) == 1:
        return "Responde 1."
    if len(numbers) <= 3:
        return "Responde " + ", ".join(numbers[:-1]) + f" o {numbers[-1]}."
    return "Responde con el número de tu opción."
