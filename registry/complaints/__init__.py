"""Complaints: filing, classification, the workflow table, tracking, statistics."""
