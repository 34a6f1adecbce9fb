"""The error storage raises when the database itself cannot be used."""

from __future__ import annotations

import sqlite3

from peewee import PeeweeException


class StorageError(RuntimeError):
    """The database cannot be used as it is (unwritable, newer schema, corrupt).

    The system reacts by stopping at start-up with this message: trading without a
    journal would risk duplicate orders.
    """


DATABASE_ERRORS: tuple[type[Exception], ...] = (StorageError, PeeweeException, sqlite3.Error)
"""Everything reading or writing the database can raise when the file itself is the
problem; callers outside storage catch these, never a driver's own classes."""
