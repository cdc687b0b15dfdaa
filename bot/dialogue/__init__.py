"""How the assistant reads a message in the light of the dialogue so far (plain Python)."""
