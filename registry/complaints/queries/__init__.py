"""SQL for complaints."""
