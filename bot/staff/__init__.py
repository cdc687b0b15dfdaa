"""Municipal staff of the console: accounts, passwords, sessions and audit (tables in ``bot.storage.tables``)."""
