"""Pages for departments and the supervising office."""
