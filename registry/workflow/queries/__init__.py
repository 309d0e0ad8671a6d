"""SQL for the working-day calendar and deadlines."""
