from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    CCG_STAFF = "ccg_staff", "CCG staff"
    AREA_TEAM = "area_team", "Area team staff"
    REGIONAL_REVIEWER = "regional_reviewer", "Regional office reviewer"
    COMMITTEE_SECRETARY = "committee_secretary", "Commissioning Committee secretary"
    NATIONAL_ADMIN = "national_admin", "National programme team"


class User(AbstractUser):
    """Everyone who signs in. The role decides what a person may do; the organisation
    (CCG, area team or region, matching the role) decides which proposals they see."""

    role = models.CharField(max_length=32, choices=Role.choices)

    REQUIRED_FIELDS = ["email", "role"]
    ccg = models.ForeignKey(
        "applications.CCG", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    area_team = models.ForeignKey(
        "applications.AreaTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    region = models.ForeignKey(
        "applications.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )

    class Meta:
        constraints = [
            # Exactly the organisation that goes with the role, so scoping can never fall
            # back to "no organisation means everything".
            models.CheckConstraint(
                name="user_organisation_matches_role",
                condition=(
                    Q(
                        role=Role.CCG_STAFF,
                        ccg__isnull=False,
                        area_team__isnull=True,
                        region__isnull=True,
                    )
                    | Q(
                        role=Role.AREA_TEAM,
                        ccg__isnull=True,
                        area_team__isnull=False,
                        region__isnull=True,
                    )
                    | Q(
                        role=Role.REGIONAL_REVIEWER,
                        ccg__isnull=True,
                        area_team__isnull=True,
                        region__isnull=False,
                    )
                    | Q(
                        role__in=[Role.COMMITTEE_SECRETARY, Role.NATIONAL_ADMIN],
                        ccg__isnull=True,
                        area_team__isnull=True,
                        region__isnull=True,
                    )
                ),
            )
        ]

    @property
    def organisation(self):
        return self.ccg or self.area_team or self.region

    @property
    def organisation_label(self) -> str:
        organisation = self.organisation
        return str(organisation) if organisation else "NHS England"
