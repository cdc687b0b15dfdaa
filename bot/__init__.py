"""Municipal assistant: catalogue, storage, matching, NLU components and, in bot/app/, the application."""
