"""Citizen-facing replies, in Spanish, composed from catalogue data.

Functions here are pure (data in, ``Reply`` out), so the actions stay thin and the
wording is tested without a Rasa server. Replies are short for a phone screen.
"""
