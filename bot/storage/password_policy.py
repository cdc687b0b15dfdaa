"""Which console passwords are accepted: long enough and not easy to guess (zxcvbn).

zxcvbn estimates how many guesses a password takes, knowing common passwords, words,
names, keyboard patterns, repetitions, sequences and dates; we also give it the
account's own words (username, name, municipality) and usual Spanish ones. A password
needs ``MIN_SCORE`` (3 of 4: "safely unguessable") and ``MIN_LENGTH`` characters.
"""
from __future__ import annotations

from typing import Iterable, List

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3
SPANISH_WORDS = ("contraseña", "contrasena", "clave", "municipalidad", "municipal", "municipio", "consola",
                 "asistente", "funcionario", "funcionaria", "chile", "santiago", "bienvenido", "hola", "secreto",
                 "admin", "administrador", "usuario", "agente")
EXAMPLE = "lápiz nube tranvía cerezo"  # shown as an example, hence refused
RULE = (f"Usa al menos {MIN_LENGTH} caracteres y que no sea fácil de adivinar: nada de repeticiones "
        "(«aaaaaaaaaa»), secuencias («1234567890», «qwerty»), claves comunes, palabras solas ni tu nombre, usuario "
        "o municipalidad. Una buena opción: tres o cuatro palabras que no vayan juntas, como "
        f"«{EXAMPLE}» (esa no: es el ejemplo).")


def _words(personal: Iterable[str]) -> List[str]:
    words = list(SPANISH_WORDS)
    for item in personal:
        words += [w for w in str(item or "").lower().replace("@", " ").replace(".", " ").split() if w]
    return words[:100]


def password_problem(password: str, personal: Iterable[str] = ()) -> str:
    """Why ``password`` is refused (a Spanish sentence for the user), or ``""`` when it is accepted."""
    if len(password) < MIN_LENGTH:
        return f"La contraseña debe tener al menos {MIN_LENGTH} caracteres. {RULE}"
    if len(password) > MAX_LENGTH:
        return f"La contraseña es demasiado larga (máximo {MAX_LENGTH} caracteres)."
    if " ".join(password.lower().split()) == EXAMPLE or \
            zxcvbn(password, user_inputs=_words(personal))["score"] < MIN_SCORE:
        return f"La contraseña es demasiado fácil de adivinar. {RULE}"
    return ""
