"""The data version (applications.DataVersion) and the triggers that bump it whenever a
watched table changes. On PostgreSQL they are constraint triggers deferred to commit: the
one row is locked only for the instant of the commit (never while a transaction goes on to
wait for other locks, so it cannot take part in a deadlock), and readers can only see the new
version once the change itself is visible.

A transaction bumps it once, at commit; the test suite, whose tests each run in one
transaction that never commits, makes the triggers immediate so that each statement that
changes rows bumps it."""

from django.db import migrations, models

# Every table of this app whose rows a page shows. approvals/0003 adds its own. The user
# table counts only for what pages show or check (not last_login or the password).
TABLES = [
    "applications_region",
    "applications_areateam",
    "applications_ccg",
    "applications_cycle",
    "applications_deadline",
    "applications_proposal",
    "applications_proposalpartner",
    "applications_proposalcondition",
    "applications_proposaltransition",
    "applications_proposalevent",
    "applications_proposaldocument",
    "applications_proposalsnapshot",
]
USER_COLUMNS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "ccg_id",
    "area_team_id",
    "region_id",
    "is_active",
    "is_staff",
    "is_superuser",
]

# One bump per statement that fires the triggers: at commit (deferred, as in production)
# that is the COMMIT itself, so a transaction that changed a million rows updates the
# version row once, not a million times (each update of one row in one transaction reads
# every version of it the transaction left: quadratic). The test suite's immediate triggers
# fire after each statement, so each change there gets its own bump. The marker is a
# transaction-local setting, gone at commit and undone with a rolled-back savepoint.
# If the row has gone (a flushed test database), the next change puts it back, starting
# from the time in milliseconds: above any count reached before, so no page kept under an
# old version is ever taken for a new one.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION applications_bump_data_version() RETURNS trigger AS $$
DECLARE
    marker text := statement_timestamp()::text;
BEGIN
    IF current_setting('cocommissioning.data_version_bumped', true) IS DISTINCT FROM marker
    THEN
        INSERT INTO applications_dataversion (id, version)
             VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT (id) DO UPDATE SET version = applications_dataversion.version + 1;
        PERFORM set_config('cocommissioning.data_version_bumped', marker, true);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_BUMP = (
    "BEGIN INSERT INTO applications_dataversion (id, version) "
    "VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
    "ON CONFLICT (id) DO UPDATE SET version = version + 1; END"
)


def postgres_trigger(table: str, events: str = "INSERT OR UPDATE OR DELETE") -> str:
    # Every trigger has the same name, so `SET CONSTRAINTS data_version IMMEDIATE` (the test
    # suite, which never commits) reaches them all.
    return (
        f"CREATE CONSTRAINT TRIGGER data_version AFTER {events} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION applications_bump_data_version()"
    )


def sqlite_triggers(table: str, update_of: str = "") -> list[str]:
    bump = SQLITE_BUMP
    return [
        f"CREATE TRIGGER data_version_{table}_insert AFTER INSERT ON {table} {bump}",
        f"CREATE TRIGGER data_version_{table}_update AFTER UPDATE {update_of} ON {table} {bump}",
        f"CREATE TRIGGER data_version_{table}_delete AFTER DELETE ON {table} {bump}",
    ]


def create(apps, schema_editor):
    apps.get_model("applications", "DataVersion").objects.create(pk=1, version=0)
    vendor = schema_editor.connection.vendor
    user_update = "UPDATE OF " + ", ".join(USER_COLUMNS)
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(postgres_trigger(table))
        schema_editor.execute(
            postgres_trigger("applications_user", f"INSERT OR DELETE OR {user_update}")
        )
    elif vendor == "sqlite":
        for table in TABLES:
            for statement in sqlite_triggers(table):
                schema_editor.execute(statement)
        for statement in sqlite_triggers("applications_user", f"OF {', '.join(USER_COLUMNS)}"):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in [*TABLES, "applications_user"]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS applications_bump_data_version()")
    elif vendor == "sqlite":
        for table in [*TABLES, "applications_user"]:
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{op}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_documents_and_snapshots")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "data version"},
        ),
        migrations.RunPython(create, drop),
    ]
