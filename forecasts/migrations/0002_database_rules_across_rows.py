"""Rules that span rows, which Django cannot declare as constraints.

- A resolved question's winning option is one of its own options. PostgreSQL: a
  composite foreign key (question.id, question.resolved_option_id) -> option(question_id,
  id). SQLite cannot add a constraint to an existing table, so triggers do the same job
  there. NB: a later migration that makes SQLite rebuild forecasts_question drops these
  triggers; the SQLite run of the suite (tests/test_constraints.py) catches that.
- A question that is not a draft has at least two options, and a binary one exactly
  "Yes" and "No". PostgreSQL only: constraint triggers deferred to commit, so a question
  and its options can be written in any order inside one transaction. Drafts are exempt
  because an editor builds a question up step by step before publishing it.
"""

from django.db import migrations

PG_FORWARD = """
ALTER TABLE forecasts_question
    ADD CONSTRAINT question_resolved_option_is_its_own
    FOREIGN KEY (id, resolved_option_id) REFERENCES forecasts_option (question_id, id)
    DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION forecasts_check_question_options() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    question_ids bigint[];
    qid bigint;
    q record;
    option_count integer;
    labels text[];
BEGIN
    IF TG_TABLE_NAME = 'forecasts_question' THEN
        question_ids := ARRAY[NEW.id];
    ELSIF TG_OP = 'DELETE' THEN
        question_ids := ARRAY[OLD.question_id];
    ELSIF TG_OP = 'UPDATE' THEN
        question_ids := ARRAY[OLD.question_id, NEW.question_id];
    ELSE
        question_ids := ARRAY[NEW.question_id];
    END IF;
    FOREACH qid IN ARRAY question_ids LOOP
        SELECT kind, status INTO q FROM forecasts_question WHERE id = qid;
        -- Gone (deleted with its options) or still a draft: nothing to hold to.
        CONTINUE WHEN NOT FOUND OR q.status = 'draft';
        SELECT count(*), array_agg(lower(label) ORDER BY lower(label))
            INTO option_count, labels
            FROM forecasts_option WHERE question_id = qid;
        IF option_count < 2 THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                CONSTRAINT = 'question_has_two_options',
                MESSAGE = format('question %s needs at least 2 options, has %s', qid, option_count);
        END IF;
        IF q.kind = 'binary' AND labels IS DISTINCT FROM ARRAY['no', 'yes'] THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                CONSTRAINT = 'question_binary_is_yes_no',
                MESSAGE = format('binary question %s must have exactly the options Yes and No', qid);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER question_options_valid
    AFTER INSERT OR UPDATE OF status, kind ON forecasts_question
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION forecasts_check_question_options();

CREATE CONSTRAINT TRIGGER option_set_valid
    AFTER INSERT OR UPDATE OF label, question_id OR DELETE ON forecasts_option
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION forecasts_check_question_options();
"""

PG_BACKWARD = """
DROP TRIGGER option_set_valid ON forecasts_option;
DROP TRIGGER question_options_valid ON forecasts_question;
DROP FUNCTION forecasts_check_question_options();
ALTER TABLE forecasts_question DROP CONSTRAINT question_resolved_option_is_its_own;
"""

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER question_resolved_option_is_its_own_{event.split()[0].lower()}
    BEFORE {event} ON forecasts_question
    WHEN NEW.resolved_option_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM forecasts_option
        WHERE id = NEW.resolved_option_id AND question_id = NEW.id
    )
    BEGIN
        SELECT RAISE(ABORT, 'question_resolved_option_is_its_own: the winning option must be one of the question''s own options');
    END
    """
    for event in ("INSERT", "UPDATE OF resolved_option_id")
]

SQLITE_BACKWARD = [
    "DROP TRIGGER question_resolved_option_is_its_own_insert",
    "DROP TRIGGER question_resolved_option_is_its_own_update",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("forecasts", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
