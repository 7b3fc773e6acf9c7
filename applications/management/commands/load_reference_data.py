from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applications.reference_data import ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load or refresh the 4 regions, 27 area teams and 211 CCGs of 2014/15 and the "
        "commissioning cycles and deadlines. Safe to run again; loads nothing if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=settings.REFERENCE_DATA_DIR,
            help="Folder holding the CSV files (default: the project's copy).",
        )

    def handle(self, *args, data_dir: Path, **options):
        try:
            report = load_reference_data(data_dir)
        except ReferenceDataError as error:
            raise CommandError(
                "Reference data not loaded; nothing was changed.\n" + "\n".join(error.problems)
            ) from error
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded. {report.summary()}"))
