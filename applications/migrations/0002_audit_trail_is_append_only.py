"""The database itself refuses to change or remove a proposal's audit rows, whoever asks:
application code, the admin, or someone at a SQL prompt."""

from django.db import migrations

# %% because Django passes the statement through the driver's parameter formatting.
POSTGRES_CREATE = """
CREATE FUNCTION applications_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'proposal audit rows cannot be %%', lower(TG_OP)
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER applications_proposaltransition_append_only
    BEFORE UPDATE OR DELETE ON applications_proposaltransition
    FOR EACH ROW EXECUTE FUNCTION applications_refuse_audit_change();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS applications_proposaltransition_append_only
    ON applications_proposaltransition;
DROP FUNCTION IF EXISTS applications_refuse_audit_change();
"""
SQLITE_CREATE = [
    """CREATE TRIGGER applications_proposaltransition_no_update
       BEFORE UPDATE ON applications_proposaltransition
       BEGIN SELECT RAISE(ABORT, 'proposal audit rows cannot be updated'); END""",
    """CREATE TRIGGER applications_proposaltransition_no_delete
       BEFORE DELETE ON applications_proposaltransition
       BEGIN SELECT RAISE(ABORT, 'proposal audit rows cannot be deleted'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS applications_proposaltransition_no_update",
    "DROP TRIGGER IF EXISTS applications_proposaltransition_no_delete",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
