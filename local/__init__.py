"""The embedded local stack: moto, the table, demo data and the API on one laptop."""
