"""A whitespace tokenizer whose tokens carry the normalised word as their lemma.

The featurizers read the lemma, so "q", "ke" and "que", or "cuánto" and "cuanto",
become the same feature, while token spans still point at what the citizen typed.
A message shouted in capitals ("MIL GRACIAS", "QUIERO UN HUMANO") is featurized as if typed
in lower case: capitals say how the citizen feels, not what they ask (the case features of
``LexicalSyntacticFeaturizer`` would otherwise read every word of it as unusual).
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.text import normalise_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ChileanTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer that normalises chat spelling into the token lemma."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenize as the whitespace tokenizer does, then set each lemma (and lower a shouted message)."""
        tokens = super().tokenize(message, attribute)
        shouted = is_shouted(tokens)
        for token in tokens:
            if shouted and len(token.text.lower()) == len(token.text):  # same length: spans stay right
                token.text = token.text.lower()
            token.lemma = normalise_word(token.text)
        return tokens


MIN_SHOUTED_WORDS = 2  # "ANG-7KQ2N9" or "OK" alone is no shouting


def is_shouted(tokens: List[Token]) -> bool:
    """Every word with letters is in capitals, and there are at least two such words."""
    worded = [t.text for t in tokens if any(ch.isalpha() for ch in t.text)]
    return len(worded) >= MIN_SHOUTED_WORDS and all(not any(ch.islower() for ch in word) for word in worded)
