"""Development tools shared by the tests and the benchmark: local stand-ins of external APIs."""
