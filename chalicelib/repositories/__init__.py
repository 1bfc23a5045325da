"""Data access: the only modules that speak to AWS."""
