"""The end-to-end benchmark's load generator against the real assistant, small: 2 conversations, no plain bot.

Checks that the figures are coherent (every turn counted and answered, nothing lost
or duplicated, folios issued and found by the status lookup); no timing assertions.
"""

import pytest

from bot.app.devtools.loadgen import Citizen, rut_for
from tests.conftest import MODEL_PATH


def test_citizens_have_distinct_valid_ruts_and_numbers():
    from stdnum.cl import rut

    citizens = [Citizen(i, "+56924868000", "PEN") for i in range(50)]
    assert len({c.rut for c in citizens}) == len({c.number for c in citizens}) == 50
    assert all(rut.is_valid(c.rut) for c in citizens)
    assert rut.is_valid(rut_for(123_456))
    assert len(citizens[0].script()) == 11 and "{folio}" in citizens[0].script()[-1]


def test_two_conversations_end_to_end(tmp_path, monkeypatch):
    if not MODEL_PATH.exists():
        pytest.fail("No hay modelo entrenado: ejecuta 'make train'.")
    from bot.app.benchmark import run_benchmark

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    report = run_benchmark(conversations=2, rounds=1, skip_plain=True, output=None)
    figures = report["assistant"]
    assert "rasa_init" not in report
    assert figures["turns"] == figures["turns_completed"] == 2 * 11
    assert figures["errors"] == 0 and figures["lost_replies"] == 0
    assert figures["duplicated_replies"] == 0 and figures["unexpected_replies"] == 0
    assert figures["folios"] == 2 and figures["status_with_folio"] == 2
    assert figures["turns_per_second"] > 0
    assert figures["latency_p50_ms"] <= figures["latency_p95_ms"] <= figures["latency_p99_ms"]
    assert all(counts and min(counts) >= 1 for counts in figures["expected_replies_per_turn"].values())
    assert {"rasa_1", "rasa_2", "action_server", "web"} <= set(figures["peak_memory_mb"])  # 2 Rasa workers
    assert figures["cpu_ms_per_turn"]["rasa_total"] > 0
