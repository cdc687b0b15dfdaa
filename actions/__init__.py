"""Custom actions of the municipal assistant (rasa-sdk), split by concern."""
