"""SQL the infrastructure owns."""
