"""部门核查 (协查): one department asks another to confirm the fact an abolished certificate
proved."""
