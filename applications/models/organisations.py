from django.db import models


class Region(models.Model):
    """An NHS England commissioning region (2014/15: four of them). Its regional office
    reviews and approves the proposals of its CCGs."""

    code = models.CharField("ODS code", max_length=3, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AreaTeam(models.Model):
    code = models.CharField("ODS code", max_length=3, unique=True)
    name = models.CharField(max_length=100, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="area_teams")

    class Meta:
        ordering = ["name"]
        verbose_name = "area team"

    def __str__(self) -> str:
        return self.name


class CCG(models.Model):
    """A clinical commissioning group. The region is reached through the area team: a CCG
    belongs to exactly one of each, so the region is never stored twice."""

    ods_code = models.CharField("ODS code", max_length=3, unique=True)
    ons_code = models.CharField("ONS code", max_length=9, unique=True)
    name = models.CharField(max_length=200, unique=True)
    area_team = models.ForeignKey(AreaTeam, on_delete=models.PROTECT, related_name="ccgs")
    registered_population = models.PositiveIntegerField(
        help_text="People registered with the CCG's GP practices, April to June 2014 (NHSBSA)."
    )
    imd2015_score = models.DecimalField(
        "IMD 2015 average score",
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Blank where no score was published for the CCG's 2014/15 boundary.",
    )
    in_special_measures = models.BooleanField(
        "in special measures or with serious governance issues",
        default=False,
        help_text="Such CCGs need extra scrutiny before any proposal is approved.",
    )
    special_measures_note = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CCG"
        verbose_name_plural = "CCGs"

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> Region:
        return self.area_team.region
