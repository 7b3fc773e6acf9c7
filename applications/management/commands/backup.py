from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from applications.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc) and MEDIA_ROOT (a tar) into a new folder under "
        "DESTINATION, with a manifest of SHA-256 checksums of the archives, every media file "
        "and every table. Restore with `manage.py restore FOLDER` (bin/restore)."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path)

    def handle(self, *args, destination: Path, **options):
        name = f"cocommissioning-{timezone.now():%Y%m%dT%H%M%SZ}"
        try:
            folder = backup(
                destination=destination, media_root=Path(settings.MEDIA_ROOT), name=name
            )
        except (BackupError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(folder))
