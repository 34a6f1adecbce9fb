"""Real-protocol test doubles served on 127.0.0.1 (DESIGN §10)."""
