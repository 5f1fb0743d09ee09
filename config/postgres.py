"""PostgreSQL-only schema pieces that must not break the SQLite development database."""

from django.db.migrations import AddField, AddIndex


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


class AddColumnInPlace(AddField):
    """AddField of a NOT NULL column with a constant default, without rebuilding the table
    on SQLite.

    SQLite adds such a column by rebuilding the table: that recreates every index in the
    migration state, the GIN search index it cannot build included, and drops the triggers
    forecasts' migration 0002 keeps there. `ALTER TABLE … ADD COLUMN … DEFAULT` does the
    same in place (the column keeps its default in the database, equal to the model's).
    PostgreSQL runs Django's own AddField. Removing the column is Django's own everywhere.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        table, column = (
            schema_editor.quote_name(model._meta.db_table),
            schema_editor.quote_name(field.column),
        )
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", params)
