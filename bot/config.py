"""Every setting of the assistant, read from the environment by one parser (``Settings``).

``settings()`` gives this process's settings (``python -m bot run`` checks them at
start-up and stops with a clear Spanish message naming the variable when a value is
wrong); code that prepares a child process's environment parses that one with
``Settings.from_env(env)``. A new setting is one field below: its variable, default,
meaning and, for numbers, its minimum. ``python -m bot settings`` lists them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A variable has a value the assistant cannot use (message in Spanish, naming it)."""


def _setting(variable: str, default: Any, meaning: str, minimum: Optional[float] = None) -> Any:
    return field(default=default, metadata={"variable": variable, "meaning": meaning, "minimum": minimum})


_TRUE, _FALSE = ("1", "true", "si", "sí", "yes", "on"), ("0", "false", "no", "off")


def _parse(variable: str, kind: str, raw: str, minimum: Optional[float]) -> Any:
    """One value of type ``kind`` ("str", "int", "float", "bool") from its text."""
    if kind == "str":
        return raw
    if kind == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise SettingsError(f"{variable} debe ser 1 o 0 (se recibió {raw!r})")
    try:
        value: float = int(raw) if kind == "int" else float(raw)
    except ValueError:
        noun = "un número entero" if kind == "int" else "un número"
        raise SettingsError(f"{variable} debe ser {noun} (se recibió {raw!r})") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{variable} debe ser al menos {minimum:g} (se recibió {raw!r})")
    return value


@dataclass(frozen=True)
class Settings:
    """The assistant's settings (one field per environment variable)."""

    # Storage and data
    database_url: str = _setting(
        "DATABASE_URL", "", "URL de SQLAlchemy de nuestras tablas (por omisión SQLite en VAR_DIR/municipal.db)"
    )
    var_dir: str = _setting("VAR_DIR", "", "carpeta de archivos de ejecución (por omisión ./var)")
    catalogue_dir: str = _setting("CATALOGUE_DIR", "", "carpeta del catálogo (por omisión ./catalogue)")
    default_municipality: str = _setting("DEFAULT_MUNICIPIO", "", "municipio de los canales que no lo dicen")
    timezone: str = _setting("TZ_MUNICIPAL", "America/Santiago", "zona horaria de los horarios de atención")
    retention_days: int = _setting("RETENTION_DAYS", 180, "días que se guardan los datos personales", 1)
    catalogue_refresh_seconds: float = _setting(
        "CATALOGUE_REFRESH_SECONDS", 5.0, "cada cuánto se revisa si se cargó otro catálogo en la base", 0
    )
    pseudonym_secret: str = _setting(
        "PSEUDONYM_SECRET", "", "clave de los seudónimos (por omisión, una generada por base de datos)"
    )
    tracker_db_url: str = _setting(
        "TRACKER_DB_URL", "", "URL del almacén de conversaciones de Rasa (por omisión TRACKER_DB_DIALECT:///TRACKER_DB)"
    )
    tracker_db_dialect: str = _setting("TRACKER_DB_DIALECT", "sqlite", "dialecto del almacén de conversaciones")
    tracker_db: str = _setting("TRACKER_DB", "var/rasa_tracker.db", "base del almacén de conversaciones")
    tracker_cache_size: int = _setting("TRACKER_CACHE_SIZE", 2000, "conversaciones recientes en memoria", 0)
    redis_host: str = _setting("REDIS_HOST", "", "Redis de los candados (vacío: candados en el proceso)")
    redis_port: int = _setting("REDIS_PORT", 6379, "puerto de Redis", 1)
    redis_lock_db: int = _setting("REDIS_LOCK_DB", 1, "base de Redis de los candados", 0)
    redis_password: str = _setting("REDIS_PASSWORD", "", "contraseña de Redis")
    # Rasa and the action server
    rasa_speedups: bool = _setting("RASA_SPEEDUPS", True, "0: sin las aceleraciones de Rasa (para comparar)")
    rasa_without_tensorflow: bool = _setting(
        "RASA_WITHOUT_TENSORFLOW", True, "0: Rasa carga TensorFlow aunque el modelo no lo use"
    )
    rasa_url: str = _setting("RASA_URL", "", "dirección de la API de Rasa (por omisión http://RASA_HOST:RASA_PORT)")
    rasa_host: str = _setting("RASA_HOST", "127.0.0.1", "interfaz donde escucha Rasa")
    rasa_port: int = _setting("RASA_PORT", 5005, "puerto de Rasa", 1)
    rasa_api_token: str = _setting("RASA_API_TOKEN", "", "token de la API de Rasa")
    rasa_workers: int = _setting(
        "RASA_WORKERS", 1, "procesos de Rasa que atienden el mismo puerto (uno por núcleo; 2 en el benchmark)", 1
    )
    rasa_worker: int = _setting(
        "RASA_WORKER", 0, "número de este proceso de Rasa (lo fija python -m bot run; 0: el único)", 0
    )
    actions_in_process: bool = _setting(
        "ACTIONS_IN_PROCESS",
        True,
        "0: las acciones corren en un servidor de acciones aparte (ACTIONS_HOST:ACTIONS_PORT, con ACTIONS_TOKEN)",
    )
    actions_host: str = _setting("ACTIONS_HOST", "127.0.0.1", "interfaz del servidor de acciones")
    actions_port: int = _setting("ACTIONS_PORT", 5055, "puerto del servidor de acciones", 1)
    actions_token: str = _setting("ACTIONS_TOKEN", "", "token del servidor de acciones")
    actions_log_level: str = _setting("LOG_LEVEL_ACTIONS", "INFO", "nivel de registro del servidor de acciones")
    rasa_endpoints: str = _setting(
        "RASA_ENDPOINTS", "endpoints.yml", "endpoints de Rasa (producción: deploy/endpoints.prod.yml)"
    )
    web_host: str = _setting("WEB_HOST", "127.0.0.1", "interfaz del proceso web (API, consola, avisos)")
    web_port: int = _setting("WEB_PORT", 8080, "puerto del proceso web", 1)
    # Channels
    twilio_account_sid: str = _setting("TWILIO_ACCOUNT_SID", "", "cuenta de Twilio (WhatsApp)")
    twilio_auth_token: str = _setting("TWILIO_AUTH_TOKEN", "", "token de la cuenta de Twilio")
    twilio_api_base_url: str = _setting("TWILIO_API_BASE_URL", "", "API de Twilio (vacío: la real)")
    whatsapp_public_url: str = _setting(
        "WHATSAPP_PUBLIC_URL", "", "URL pública del webhook de WhatsApp (la que firma Twilio)"
    )
    rest_channel_tokens: str = _setting("REST_CHANNEL_TOKENS", "", "integraciones REST: nombre=token,… (off: apagado)")
    telegram_bot_tokens: str = _setting("TELEGRAM_BOT_TOKENS", "", "bots de Telegram: municipio=token,…")
    telegram_webhook_secret: str = _setting("TELEGRAM_WEBHOOK_SECRET", "", "secreto de los webhooks de Telegram")
    telegram_api_base_url: str = _setting("TELEGRAM_API_BASE_URL", "", "API de Telegram (vacío: la real)")
    channel_timeout_seconds: float = _setting(
        "CHANNEL_TIMEOUT_SECONDS", 10.0, "plazo de cada llamada a Twilio o Telegram", 0.5
    )
    media_max_bytes: int = _setting(
        "MEDIA_MAX_BYTES", 10_000_000, "tamaño máximo de una foto, audio o archivo del vecino que muestra la consola", 1
    )
    turn_timeout_seconds: float = _setting("TURN_TIMEOUT_SECONDS", 30.0, "plazo de un turno del asistente", 1)
    inbox_retry_seconds: float = _setting(
        "INBOX_RETRY_SECONDS", 20.0, "espera antes de reintentar un mensaje de la bandeja", 0.5
    )
    inbox_lock_lease_seconds: float = _setting(
        "INBOX_LOCK_LEASE_SECONDS", 120.0, "duración del candado de una conversación", 1
    )
    # Voice notes (bot/voice/)
    voice_notes: bool = _setting(
        "VOICE_NOTES", True, "0: no transcribir notas de voz (sí, si el modelo está instalado)"
    )
    voice_max_seconds: float = _setting("VOICE_MAX_SECONDS", 120.0, "duración máxima de una nota de voz", 1)
    voice_max_bytes: int = _setting("VOICE_MAX_BYTES", 10_000_000, "tamaño máximo de una nota de voz, en bytes", 1000)
    voice_workers: int = _setting("VOICE_WORKERS", 1, "procesos que transcriben notas de voz", 1)
    voice_cpu_threads: int = _setting("VOICE_CPU_THREADS", 2, "hilos de CPU de cada proceso de voz", 1)
    voice_timeout_seconds: float = _setting(
        "VOICE_TIMEOUT_SECONDS", 120.0, "plazo de una transcripción, incluida la espera en la cola", 1
    )
    # Status notices
    notify_disabled: bool = _setting("NOTIFY_DISABLED", False, "1: no enviar avisos de cambio de estado")
    notify_max_attempts: int = _setting("NOTIFY_MAX_ATTEMPTS", 6, "intentos de cada aviso", 1)
    notify_backoff_seconds: float = _setting("NOTIFY_BACKOFF_SECONDS", 30.0, "espera tras el primer fallo", 0)
    notify_poll_seconds: float = _setting("NOTIFY_POLL_SECONDS", 5.0, "cada cuánto se buscan avisos", 0.1)
    whatsapp_status_template_sid: str = _setting(
        "WHATSAPP_STATUS_TEMPLATE_SID", "", "plantilla aprobada de WhatsApp para avisos"
    )
    whatsapp_window_hours: float = _setting("WHATSAPP_WINDOW_HOURS", 24.0, "ventana de WhatsApp para texto libre", 0)
    # Staff console
    console_secure_cookies: bool = _setting("CONSOLE_SECURE_COOKIES", False, "1: cookies solo por HTTPS")
    console_trusted_proxies: str = _setting("CONSOLE_TRUSTED_PROXIES", "", "redes de los proxies de confianza")
    console_session_minutes: int = _setting("CONSOLE_SESSION_MINUTES", 480, "duración de una sesión", 1)
    console_idle_minutes: int = _setting("CONSOLE_IDLE_MINUTES", 60, "sesión sin uso que se cierra", 1)
    console_sla_minutes: int = _setting(
        "CONSOLE_SLA_MINUTES", 15, "minutos de horario de atención para la primera respuesta de una persona", 1
    )
    console_auto_assign: bool = _setting(
        "CONSOLE_AUTO_ASSIGN", False, "1: asignar sola la conversación más antigua al agente menos ocupado"
    )
    console_agent_capacity: int = _setting(
        "CONSOLE_AGENT_CAPACITY", 3, "conversaciones en atención por agente para la asignación automática", 1
    )
    # Process supervision
    watchdog_seconds: float = _setting("WATCHDOG_SECONDS", 60.0, "plazo del vigilante de procesos", 2)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Parse ``env`` (default: this process's environment); ``SettingsError`` names a wrong variable."""
        env = os.environ if env is None else env
        values: Dict[str, Any] = {}
        for item in fields(cls):
            raw = (env.get(item.metadata["variable"]) or "").strip()
            if raw:
                values[item.name] = _parse(item.metadata["variable"], str(item.type), raw, item.metadata["minimum"])
        return cls(**values)

    # ---- values that depend on others ----------------------------------------

    @property
    def var_path(self) -> Path:
        """Where runtime files (SQLite databases, logs) go."""
        return Path(self.var_dir) if self.var_dir else PROJECT_ROOT / "var"

    @property
    def catalogue_path(self) -> Path:
        """The catalogue data folder."""
        return Path(self.catalogue_dir) if self.catalogue_dir else PROJECT_ROOT / "catalogue"

    @property
    def tracker_url(self) -> str:
        """SQLAlchemy URL of Rasa's tracker store (the same variables as endpoints.yml)."""
        return self.tracker_db_url or f"{self.tracker_db_dialect}:///{self.tracker_db}"

    @property
    def rasa_base_url(self) -> str:
        """Rasa's HTTP API."""
        return (self.rasa_url or f"http://{self.rasa_host}:{self.rasa_port}").rstrip("/")


def described() -> List[Dict[str, Any]]:
    """Every setting: variable, default and meaning (for ``python -m bot settings`` and README)."""
    return [
        {"variable": f.metadata["variable"], "default": f.default, "meaning": f.metadata["meaning"]}
        for f in fields(Settings)
    ]


_VARIABLES = tuple(f.metadata["variable"] for f in fields(Settings))
_parsed: Dict[tuple, Settings] = {}


def settings() -> Settings:
    """This process's settings. Parsed once for each state of the environment (tests change it)."""
    key = tuple(os.environ.get(name) for name in _VARIABLES)
    found = _parsed.get(key)
    if found is None:
        found = Settings.from_env()
        _parsed.clear()
        _parsed[key] = found
    return found


def catalogue_dir() -> Path:
    """The catalogue data folder."""
    return settings().catalogue_path


def var_dir() -> Path:
    """Where runtime files (SQLite databases, logs) go by default (created if missing)."""
    path = settings().var_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """SQLAlchemy URL of our own tables."""
    return settings().database_url or f"sqlite:///{var_dir() / 'municipal.db'}"


def default_municipality() -> str | None:
    """The municipality slug used when the channel does not tell (or ``None``)."""
    return settings().default_municipality or None


def timezone_name() -> str:
    """Time zone of the municipalities' office hours."""
    return settings().timezone
