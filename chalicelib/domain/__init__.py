"""Pure domain: the RMA, its statuses and the rules between them. No I/O here."""
