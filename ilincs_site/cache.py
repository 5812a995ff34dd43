"""Django's database cache with an atomic ``incr`` that keeps the entry's expiry.

Django's ``DatabaseCache.incr`` is a ``get`` and then a full ``set``: two requests at the same
moment can both read n and both write n + 1, and the ``set`` moves the entry's expiry to the
default timeout (a count for a day's window would be forgotten 300 s after its last request).
The rate limits count with ``incr``, so this one reads the live row under a lock (``SELECT
... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions, see settings, take the write
lock at BEGIN) and updates only its value: two queries instead of four, same expiry.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends import db
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(db.DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table, column = quote(self._table), quote("cache_key")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = tz_now().replace(microsecond=0, tzinfo=None)
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')} FROM {table} WHERE {column} = %s"
                f" AND {quote('expires')} > %s{lock}",
                [key, connection.ops.adapt_datetimefield_value(now)],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {column} = %s", [stored, key]
            )
        return value
