"""santelex's named SPARQL queries (``*.rq``): installed as the data package ``santelex.queries``."""
