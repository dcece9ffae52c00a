"""Where texts come from beyond local files: Legifrance's API, DILA's archives' updates."""
