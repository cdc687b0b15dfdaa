"""Console passwords: which are accepted and how they are stored.

Accepted: ``MIN_LENGTH`` characters and a zxcvbn score of ``MIN_SCORE`` (3 of 4, "safely
unguessable"); zxcvbn also gets the account's own words (username, name, municipality) and
usual Spanish ones. Stored: ``hashlib.scrypt`` with a random salt, kept with its parameters.

A temporary password (set by an administrator who resets someone's password) is stored with the
prefix ``temporal$``: it logs in like any other, and the console asks for a new one before anything
else. The mark lives with the hash because it belongs to that password: changing it removes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
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
TEMPORARY_MARK = "temporal$"
# Generated passwords: groups of letters and digits that are hard to confuse when read aloud.
_GENERATED_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GENERATED_GROUPS, _GENERATED_GROUP_LENGTH = 3, 4
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


def generate_password(personal: Iterable[str] = ()) -> str:
    """A random accepted password to dictate or copy, such as ``k7rm-x2pa-9fhd`` (about 59 bits)."""
    words = list(personal)
    while True:
        groups = (
            "".join(secrets.choice(_GENERATED_ALPHABET) for _ in range(_GENERATED_GROUP_LENGTH))
            for _ in range(_GENERATED_GROUPS)
        )
        candidate = "-".join(groups)
        if not password_problem(candidate, words):
            return candidate


def hash_password(password: str, temporary: bool = False) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh random salt (``temporal$`` first
    when it is a temporary password, to be changed at the next login)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    hashed = f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"
    return TEMPORARY_MARK + hashed if temporary else hashed


def is_temporary(stored: str) -> bool:
    """Whether a stored hash is of a temporary password (set by an administrator)."""
    return stored.startswith(TEMPORARY_MARK)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash written by ``hash_password`` (constant-time comparison)."""
    if is_temporary(stored):
        stored = stored[len(TEMPORARY_MARK) :]
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
