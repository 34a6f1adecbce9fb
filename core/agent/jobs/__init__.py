"""core.agent.jobs: the jobs the session lifecycle runs — trailing the protective
stops, the daily loss limit, signal expiry, equity snapshots and the daily summary,
scoring past predictions. Each is a plain function over `Services`.

Imports: `core.agent.services` and what it stands on (`core.base`, `core.data`, `risk`,
`execution`, `storage`).
"""
