"""Handing a conversation to municipal staff: state, transcript and silencing the assistant."""
