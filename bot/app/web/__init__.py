"""HTTP services for the municipalities: the back-office API (and, later, the staff console)."""
