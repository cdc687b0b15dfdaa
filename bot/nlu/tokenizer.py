"""A whitespace tokenizer whose tokens carry the normalised word as their lemma.

The featurizers read the lemma, so "q", "ke" and "que", or "cuánto" and "cuanto",
become the same feature, while token spans still point at what the citizen typed.
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
        """Tokenize as the whitespace tokenizer does, then set each lemma."""
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalise_word(token.text)
        return tokens
