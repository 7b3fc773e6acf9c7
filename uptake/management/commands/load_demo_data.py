import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from applications.models import CCG, Cycle, Proposal


class Command(BaseCommand):
    help = (
        "Play the 2014-2016 co-commissioning programme for every CCG through the real "
        "write paths: proposals, reviews, committee decisions and go-live, dated as the "
        "programme ran. Deterministic for a seed; does nothing if proposals already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2015, help="Random seed (default 2015).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow even when DEBUG is off (never in production).",
        )

    def handle(self, *args, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo data is for local machines: DEBUG is off. Use --force to insist."
            )
        try:
            import time_machine  # noqa: F401
        except ImportError as error:
            raise CommandError(
                "The demo data needs time-machine to date its history: "
                "pip install -c constraints.txt '.[demo]'"
            ) from error
        if not CCG.objects.exists() or not Cycle.objects.filter(name="2015/16").exists():
            raise CommandError("Load the reference data first: manage.py load_reference_data")
        existing = Proposal.objects.count()
        if existing:
            self.stdout.write(f"Demo data not loaded: {existing} proposals already exist.")
            return

        from uptake import demo, figures

        started = time.monotonic()
        # Nobody is emailed: the outbox relays into memory while the demo is built. Each of the
        # thousands of steps (transitions, relayed tasks, decision letters) would log a line:
        # keep warnings only while it runs; the audit trail is in the database.
        logging.disable(logging.INFO)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                demo.load(seed, say=self.stdout.write)
        finally:
            logging.disable(logging.NOTSET)
        for cycle in Cycle.objects.prefetch_related("deadlines"):
            summary = figures.summary(cycle, CCG.objects.all())
            parts = [f"{line.label.lower()} {line.ccgs}" for line in summary.categories]
            self.stdout.write(f"  {cycle}: " + ", ".join(parts))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded (seed {seed}): {Proposal.objects.count()} proposals for "
                f"{CCG.objects.count()} CCGs in {time.monotonic() - started:.0f}s."
            )
        )
