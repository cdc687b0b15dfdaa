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
    # 2 Rasa workers, each running the actions (ACTIONS_IN_PROCESS): no action server
    assert set(figures["peak_memory_mb"]) == {"rasa_1", "rasa_2", "web"}
    assert figures["cpu_ms_per_turn"]["rasa_total"] > 0


def test_the_plain_bots_unanswered_turns_are_counted_apart_with_their_reason(tmp_path):
    from bot.app.benchmark import failed_turns_by_reason, with_silent_turns_apart

    log = tmp_path / "plain.log"
    log.write_text(
        "2026-12-03 15:54:20 ERROR    channels.turns  - turno fallido de whatsapp:+56945299050:+56960100000 "
        "(sin respuesta): se envía una disculpa\n"
        "2026-12-03 15:54:21 INFO     otra cosa\n"
        "2026-12-03 15:54:22 ERROR    channels.turns  - turno fallido de whatsapp:+56928378000:+56960100001 "
        "(sin respuesta): se envía una disculpa\n",
        encoding="utf-8",
    )
    reasons = failed_turns_by_reason(log)
    assert reasons == {"sin respuesta": 2}
    figures = {"errors": 1, "warmup_errors": 1, "turns_completed": 10, "wall_seconds": 2.0, "turns_per_second": 5.0}
    apart = with_silent_turns_apart(figures, reasons)
    assert apart["errors"] == 0 and apart["turns_without_answer"] == 1
    assert apart["turns_completed"] == 11 and apart["turns_per_second"] == 5.5
    # Any other failure stays an error.
    other = with_silent_turns_apart(figures, {"sin respuesta": 1, "error": 1})
    assert other["errors"] == 1 and "turns_without_answer" not in other
    assert failed_turns_by_reason(tmp_path / "missing.log") == {}


def test_the_cpu_ratio_adds_every_process_of_the_assistant_once():
    from bot.app.benchmark import cpu_per_turn_ratio

    ours = {"cpu_ms_per_turn": {"rasa_1": 16.0, "rasa_2": 16.0, "rasa_total": 32.0, "action_server": 5.0, "web": 0.0}}
    assert cpu_per_turn_ratio(ours, {"cpu_ms_per_turn": {"rasa": 74.0}}) == 0.5
    assert cpu_per_turn_ratio(ours, {}) is None
