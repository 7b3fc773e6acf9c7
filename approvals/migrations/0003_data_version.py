"""Bump the data version (applications/0007) on every change to the review and committee
tables, as applications' own tables do. Self-contained like every migration: the trigger
statements are repeated here rather than imported."""

from django.db import migrations

TABLES = [
    "approvals_review",
    "approvals_conflictofinterest",
    "approvals_committeemeeting",
    "approvals_agendaitem",
    "approvals_meetingrecord",
    "approvals_signoffpack",
    "approvals_decisionletter",
]
SQLITE_BUMP = (
    "BEGIN INSERT INTO applications_dataversion (id, version) "
    "VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
    "ON CONFLICT (id) DO UPDATE SET version = version + 1; END"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                "CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION applications_bump_data_version()"
            )
        elif vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(
                    f"CREATE TRIGGER data_version_{table}_{op} AFTER {op.upper()} ON {table} "
                    f"{SQLITE_BUMP}"
                )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version ON {table}")
        elif vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{op}")


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_checklist_labels"),
        ("applications", "0007_data_version"),
    ]

    operations = [migrations.RunPython(create, drop)]
