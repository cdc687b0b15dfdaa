"""The names Python uses for slots, intents and forms are exactly those of domain.yml."""

from pathlib import Path

import yaml

from bot.domain_names import RASA_SLOTS, Form, Intent, Slot, names

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text(encoding="utf-8"))


def test_slots_match_the_domain():
    assert names(Slot) - RASA_SLOTS == set(DOMAIN["slots"])


def test_intents_match_the_domain():
    assert names(Intent) - {Intent.NLU_FALLBACK} == set(DOMAIN["intents"])


def test_forms_match_the_domain():
    assert names(Form) == set(DOMAIN["forms"])
