"""The working-day calendar and the transition engine shared by every kind of case."""
