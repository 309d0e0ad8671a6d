"""Pages for citizens."""
