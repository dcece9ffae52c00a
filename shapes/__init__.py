"""santelex's SHACL rules (Turtle files): installed as the data package ``santelex.shapes``."""
