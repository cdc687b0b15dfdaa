"""Handing a conversation to municipal staff: state, transcript and delivery of staff replies."""
