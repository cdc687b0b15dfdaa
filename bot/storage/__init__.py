"""Our own tables (SQLAlchemy): the catalogue as loaded, requests, handoffs."""
