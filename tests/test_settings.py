"""Settings: one parser for every variable, a clear error naming a wrong one, and one place that reads them."""

import re
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT, Settings, SettingsError, described, settings

SOURCE_DIRS = ("bot", "actions", "channels")


def test_defaults_are_the_embedded_ones():
    values = Settings.from_env({})
    assert values.retention_days == 180 and values.turn_timeout_seconds == 30.0
    assert values.rasa_base_url == "http://127.0.0.1:5005"
    assert values.tracker_url == "sqlite:///var/rasa_tracker.db"
    assert values.notify_disabled is False and values.rasa_speedups is True


def test_values_are_parsed_by_type():
    values = Settings.from_env(
        {
            "RETENTION_DAYS": " 30 ",
            "CHANNEL_TIMEOUT_SECONDS": "2.5",
            "NOTIFY_DISABLED": "1",
            "RASA_SPEEDUPS": "0",
            "RASA_HOST": "10.0.0.5",
            "RASA_PORT": "6000",
        }
    )
    assert values.retention_days == 30 and values.channel_timeout_seconds == 2.5
    assert values.notify_disabled is True and values.rasa_speedups is False
    assert values.rasa_base_url == "http://10.0.0.5:6000"


@pytest.mark.parametrize(
    "variable, raw, message",
    [
        ("RETENTION_DAYS", "diez", "RETENTION_DAYS debe ser un número entero (se recibió 'diez')"),
        ("RETENTION_DAYS", "0", "RETENTION_DAYS debe ser al menos 1"),
        ("TURN_TIMEOUT_SECONDS", "rápido", "TURN_TIMEOUT_SECONDS debe ser un número"),
        ("NOTIFY_POLL_SECONDS", "0", "NOTIFY_POLL_SECONDS debe ser al menos 0.1"),
        ("CONSOLE_SECURE_COOKIES", "quizás", "CONSOLE_SECURE_COOKIES debe ser 1 o 0"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_variable(variable, raw, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({variable: raw})


def test_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "45")
    assert settings().retention_days == 45
    monkeypatch.setenv("RETENTION_DAYS", "46")
    assert settings().retention_days == 46


def test_make_run_stops_at_start_on_a_wrong_value(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(tmp_path), "RETENTION_DAYS": "diez"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "No se inicia el asistente: RETENTION_DAYS debe ser un número entero" in done.stderr


def test_every_setting_is_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [d["variable"] for d in described() if f"`{d['variable']}`" not in readme]
    assert missing == []


def test_only_the_settings_module_reads_a_setting_from_the_environment():
    variables = "|".join(re.escape(d["variable"]) for d in described())
    read = re.compile(rf"""(os\.environ\.get\(|os\.environ\[|getenv\()\s*["']({variables})["']""")
    readers = []
    for folder in SOURCE_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path == PROJECT_ROOT / "bot" / "config.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if read.search(line):
                    readers.append(f"{path.relative_to(PROJECT_ROOT)}:{number}")
    assert readers == [], "lea la configuración con bot.config.settings()"
