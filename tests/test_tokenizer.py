"""The tokenizer the NLU reads: chat spelling in the lemma, a shouted message read as typed in lower case."""

import asyncio

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import ChileanTokenizer


def tokens(text):
    tokenizer = ChileanTokenizer(ChileanTokenizer.get_default_config())
    return tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


def test_lemmas_are_the_normalised_words_and_spans_stay_on_the_typed_text():
    found = tokens("cuánto sale q piden")
    assert [t.lemma for t in found] == ["cuanto", "sale", "que", "piden"]
    assert [(t.start, t.end) for t in found] == [(0, 6), (7, 11), (12, 13), (14, 19)]


def test_a_shouted_message_is_read_in_lower_case_but_a_folio_or_one_word_is_not():
    assert [t.text for t in tokens("NO ENTIENDES NADA, QUIERO UN HUMANO")][:2] == ["no", "entiendes"]
    assert [t.text for t in tokens("ANG-7KQ2N9")] == ["ANG-7KQ2N9"]
    assert [t.text for t in tokens("hola, mi folio es ANG-7KQ2N9")][-1] == "ANG-7KQ2N9"
    assert [t.text for t in tokens("OK")] == ["OK"]


@pytest.mark.parametrize(
    "said",
    [
        "mil gracias",
        "no entiendes nada, quiero hablar con una persona",
        "cuanto cuesta el permiso de circulacion",
        "quiero pedir el retiro de un sofa",
        "chao",
        "en q va mi solicitud ang-7kq2n9",
    ],
)
def test_shouting_does_not_change_what_a_message_means(nlu_agent, said):
    quiet = asyncio.run(nlu_agent.parse_message(said))["intent"]["name"]
    loud = asyncio.run(nlu_agent.parse_message(said.upper()))["intent"]["name"]
    assert loud == quiet
