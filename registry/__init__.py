"""Changyuan certificate registry."""
