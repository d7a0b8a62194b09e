"""The console database's Alembic migrations: ``env.py`` (run by ``store/schema.py`` on the
connection it holds under its lock), ``baseline.py`` (the schema of the last release made by
``create_all``, frozen) and ``versions/`` (the revisions, baseline first).

A new schema change is a new file in ``versions/`` whose ``down_revision`` is the current head;
``tests/integration/console/test_migrations.py`` checks that head matches ``store/models.py``.
"""
