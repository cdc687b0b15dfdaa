"""Rasa NLU components for Chilean Spanish and the municipal catalogue."""
