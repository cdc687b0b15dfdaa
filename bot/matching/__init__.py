"""Fuzzy matching of citizen messages against catalogue names, aliases and communes."""
