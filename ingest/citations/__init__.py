"""Find, resolve and link references in French legal text."""
