"""The verdict: name and matter look-up and the pure decision."""
