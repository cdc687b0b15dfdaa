"""Console passwords: which are accepted and how they are stored.

Accepted: ``MIN_LENGTH`` characters and a zxcvbn score of ``MIN_SCORE`` (3 of 4, "safely
unguessable"); zxcvbn also gets the account's own words (username, name, municipality) and
usual Spanish ones. Stored: ``hashlib.scrypt`` with a random salt, kept with its parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Iterable, List

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3
SPANISH_WORDS = (
    "contraseña",
    "contrasena",
    "clave",
    "municipalidad",
    "municipal",
    "municipio",
    "consola",
    "asistente",
    "funcionario",
    "funcionaria",
    "chile",
    "santiago",
    "bienvenido",
    "hola",
    "secreto",
    "admin",
    "administrador",
    "usuario",
    "agente",
)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
EXAMPLE = "lápiz nube tranvía cerezo"  # shown as an example, hence refused
RULE = (
    f"Usa al menos {MIN_LENGTH} caracteres y que no sea fácil de adivinar: nada de repeticiones "
    "(«aaaaaaaaaa»), secuencias («1234567890», «qwerty»), claves comunes, palabras solas ni tu nombre, usuario "
    "o municipalidad. Una buena opción: tres o cuatro palabras que no vayan juntas, como "
    f"«{EXAMPLE}» (esa no: es el ejemplo)."
)


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
    if (
        " ".join(password.lower().split()) == EXAMPLE
        or zxcvbn(password, user_inputs=_words(personal))["score"] < MIN_SCORE
    ):
        return f"La contraseña es demasiado fácil de adivinar. {RULE}"
    return ""


def check_password(password: str, personal: Iterable[str] = ()) -> None:
    """Raise ``ValueError`` (Spanish message) when ``password`` is refused."""
    problem = password_problem(password, personal)
    if problem:
        raise ValueError(problem)


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh random salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash written by ``hash_password`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
