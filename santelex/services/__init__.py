"""What users ask of the store: queries, citations, an article and its versions."""
