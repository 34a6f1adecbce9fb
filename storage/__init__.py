"""Storage: everything the agent remembers, in one SQLite file through peewee.

May import `core.base.types` only (DESIGN §1). Owns the schema (numbered migrations), the
database set-up (WAL and pragmas, DESIGN §8) and small repositories that turn rows into
domain records. Blocking calls: callers on the event loop use `asyncio.to_thread`.
"""
