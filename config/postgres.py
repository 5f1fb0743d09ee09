"""PostgreSQL-only schema pieces that must not break the SQLite development database."""

from django.db.migrations import AddIndex


class AddPostgresIndex(AddIndex):
    """AddIndex for index types SQLite lacks (GIN): recorded in the migration state on
    every database so `makemigrations --check` stays clean, created only on PostgreSQL,
    where full-text search uses it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
