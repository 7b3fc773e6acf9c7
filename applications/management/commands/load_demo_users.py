from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from applications.models import CCG, AreaTeam, Region, Role, User

DEMO_PASSWORD = "co-commissioning-demo"  # noqa: S105  # nosec B105 # printed for a newcomer's local machine

# One person per role, in organisations that show the programme's real patterns:
# Nottingham City is in Derbyshire and Nottinghamshire (all delegated), Oxfordshire in
# Thames Valley (all joint).
DEMO_USERS = [
    ("ccg.nottingham", "Priya", "Shah", Role.CCG_STAFF, {"ccg": "04K"}),
    ("ccg.oxfordshire", "Tom", "Ellis", Role.CCG_STAFF, {"ccg": "10Q"}),
    ("area.derbynotts", "Grace", "Okafor", Role.AREA_TEAM, {"area_team": "Q55"}),
    ("reviewer.midlands", "Sam", "Hughes", Role.REGIONAL_REVIEWER, {"region": "Y55"}),
    ("reviewer.south", "Helen", "Price", Role.REGIONAL_REVIEWER, {"region": "Y57"}),
    ("secretary", "Alex", "Morgan", Role.COMMITTEE_SECRETARY, {}),
    ("national", "Jo", "Bennett", Role.NATIONAL_ADMIN, {}),
]


class Command(BaseCommand):
    help = "Create one demo user per role (local machines only), all with the same password."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow even when DEBUG is off (never in production).",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo users are for local machines: DEBUG is off. Use --force to insist."
            )
        if not CCG.objects.exists():
            raise CommandError("Load the reference data first: manage.py load_reference_data")
        lookups = {
            "ccg": (CCG, "ods_code"),
            "area_team": (AreaTeam, "code"),
            "region": (Region, "code"),
        }
        with transaction.atomic():
            for username, first, last, role, organisation in DEMO_USERS:
                values = {
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.nhs.uk",
                    "role": role,
                    "ccg": None,
                    "area_team": None,
                    "region": None,
                    "is_staff": role == Role.NATIONAL_ADMIN,
                    "is_superuser": role == Role.NATIONAL_ADMIN,
                }
                for field, code in organisation.items():
                    model, key = lookups[field]
                    values[field] = model.objects.get(**{key: code})
                user, _ = User.objects.update_or_create(username=username, defaults=values)
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                self.stdout.write(
                    f"  {username:<20} {user.get_role_display()} ({user.organisation_label})"
                )
        self.stdout.write(
            self.style.SUCCESS(f"Demo users ready; password for all: {DEMO_PASSWORD}")
        )
