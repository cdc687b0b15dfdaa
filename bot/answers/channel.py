"""What the channels themselves say to a citizen (not the assistant's answers): apologies,
media they cannot read, voice notes, long messages cut, old buttons, how to answer a numbered list,
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
# Voice notes (channels/voice.py): what was understood, or why nothing was.
VOICE_HEARD = "Entendí: «{text}»"
VOICE_REPLIES = {
    "inseguro": (
        "No logré entender bien tu audio. ¿Me lo repites hablando cerca del teléfono, o me lo escribes, por favor?"
    ),
    "largo": (
        "Tu audio es muy largo: puedo escuchar audios de hasta {limit}. "
        "¿Me lo cuentas en un audio más corto o por escrito?"
    ),
    "ilegible": "No pude abrir tu audio, parece que el archivo está dañado. ¿Me lo envías de nuevo o me lo escribes?",
    "video": "Recibí un video, pero solo puedo escuchar notas de voz. ¿Me lo cuentas en un audio o por escrito?",
    "vacio": "Tu audio llegó sin sonido. ¿Me lo envías de nuevo o me lo escribes?",
    "ocupado": "Estoy recibiendo muchos audios en este momento. ¿Me lo escribes, por favor?",
    "error": "No pude escuchar tu audio. ¿Me lo envías de nuevo o me lo escribes, por favor?",
}


def duration_words(seconds: float) -> str:
    """ "2 minutos", "1 minuto", "90 segundos": a voice note limit as a citizen reads it."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minuto" + ("s" if minutes != 1 else "")
    return f"{seconds:.0f} segundos"


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
