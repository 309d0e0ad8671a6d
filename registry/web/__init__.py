"""The web layer: app, middleware, rendering, errors, routes by audience."""
