"""SQL for accounts and the office pages."""
