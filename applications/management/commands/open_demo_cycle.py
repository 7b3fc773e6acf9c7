import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from applications.models import Cycle, Deadline, DeadlineEvent

LONDON = ZoneInfo("Europe/London")


class Command(BaseCommand):
    help = (
        "Local machines only: add the next financial year's cycle with deadlines still ahead, "
        "so a newcomer can start and submit a proposal today (the real 2015 dates have passed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow even when DEBUG is off.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("The demo cycle is for local machines: DEBUG is off.")
        today = timezone.localdate()
        year = today.year + 1 if today.month >= 4 else today.year
        if dt.date(year, 4, 1) - today < dt.timedelta(days=90):
            year += 1
        name = f"{year}/{(year + 1) % 100:02d}"

        def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)

        deadlines = [
            (DeadlineEvent.PROPOSALS_DUE, "delegated", at(today + dt.timedelta(days=35), 23, 59)),
            (DeadlineEvent.PROPOSALS_DUE, "joint", at(today + dt.timedelta(days=60), 23, 59)),
            (DeadlineEvent.COMMITTEE_SIGN_OFF, "", at(today + dt.timedelta(days=75), 10)),
            (DeadlineEvent.GO_LIVE, "", at(dt.date(year, 4, 1), 0)),
        ]
        with transaction.atomic():
            cycle, created = Cycle.objects.get_or_create(
                name=name, defaults={"starts_on": dt.date(year, 4, 1)}
            )
            for event, model, due_at in deadlines:
                Deadline.objects.get_or_create(
                    cycle=cycle,
                    event=event,
                    model=model,
                    defaults={"due_at": due_at, "description": "Demo timetable"},
                )
        verb = "Added" if created else "Kept"
        self.stdout.write(self.style.SUCCESS(f"{verb} the demo cycle {name}, open for proposals."))
