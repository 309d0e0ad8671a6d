"""Route handlers by audience; no route module imports another."""
