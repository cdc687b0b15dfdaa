"""Municipal assistant: catalogue, storage, matching, NLU components and command line."""
