"""The schedule lives in the database (django-celery-beat), so exactly one beat process
reads it and an administrator can see and pause it. Created here so every environment,
from a newcomer's SQLite to production, has the same schedule without a manual step."""

from django.db import migrations

SCHEDULE = [
    # (name, task, every N minutes)
    ("Deadline sweep", "applications.run_deadline_sweep", 5),
    ("Outbox relay", "applications.relay_outbox", 1),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULE:
        interval, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_events_sweeps_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
