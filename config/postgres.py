"""PostgreSQL-only schema pieces that must not break the SQLite development database."""

from django.contrib.postgres.indexes import GinIndex
from django.db.migrations import AddField, AddIndex
from django.db.migrations.operations.base import Operation


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


class AddFieldInPlace(AddField):
    """AddField that never rebuilds the table on SQLite.

    SQLite adds a NOT NULL column by copying the table into a new one, which drops the
    triggers forecasts' migration 0002 puts on it and recreates every index in the state,
    GIN ones too, which SQLite cannot create. A column with a constant default can be
    added in place (ALTER TABLE … ADD COLUMN … DEFAULT … NOT NULL); the default stays in
    SQLite's schema, which is harmless since Django always writes the column. PostgreSQL
    gets Django's own AddField.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        table, column = (schema_editor.quote_name(n) for n in (model._meta.db_table, field.column))
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", params)
        return None


class PostgresIndexesAside(Operation):
    """Run `operation` as it is, except that on SQLite the PostgreSQL-only indexes are
    left out of the tables it touches.

    SQLite changes a constraint (or adds most columns) by rebuilding the table, and
    rebuilds every index in the migration state with it, GIN indexes included, which it
    cannot create; AddPostgresIndex never created them there either."""

    reduces_to_sql = False

    def __init__(self, operation):
        self.operation = operation

    @property
    def reversible(self):
        return self.operation.reversible

    def describe(self):
        return self.operation.describe()

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run("database_forwards", app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run("database_backwards", app_label, schema_editor, from_state, to_state)

    def _run(self, method, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            from_state, to_state = _without_gin(from_state), _without_gin(to_state)
        getattr(self.operation, method)(app_label, schema_editor, from_state, to_state)


def _without_gin(state):
    state = state.clone()
    for model_state in state.models.values():
        indexes = model_state.options.get("indexes", [])
        model_state.options["indexes"] = [i for i in indexes if not isinstance(i, GinIndex)]
    state.__dict__.pop("apps", None)  # render the models again, without them
    return state
