from django.db import models


class DataVersion(models.Model):
    """One row whose ``version`` goes up with every committed change to the data the pages
    show. The database bumps it itself (triggers on every watched table, migrations
    applications/0007 and approvals/0003), so no write path, bulk update, admin edit or SQL
    prompt can forget to; pages cached under a version are never served after a change
    (applications.page_cache)."""

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self) -> str:
        return f"Data version {self.version}"
