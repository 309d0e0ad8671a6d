"""Staff accounts: sign-in, sessions, policies."""
