"""Building the store: one engine for files, DILA archives and Legifrance answers."""
