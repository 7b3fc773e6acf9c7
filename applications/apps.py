from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Co-commissioning applications"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the tasks the outbox relays by name
