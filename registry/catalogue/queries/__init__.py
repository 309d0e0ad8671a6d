"""SQL for the list."""
