"""Infrastructure: the pool, migrations, embedded PostgreSQL, NOTIFY, clock, caches, the outbox."""
