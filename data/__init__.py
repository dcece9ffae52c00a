"""santelex's bundled inputs (the seeds, the CSP archive, the articles index and the manifest of
snapshots): installed as the data package ``santelex.data``."""
