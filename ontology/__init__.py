"""santelex's vocabularies (Turtle files): installed as the data package ``santelex.ontology``."""
