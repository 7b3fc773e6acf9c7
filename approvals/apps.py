from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Regional review and Commissioning Committee"

    def ready(self) -> None:
        # The deadline sweep lives in applications, which must not import approvals; the
        # pack step plugs itself in here instead.
        from applications.deadlines import sweep_step

        from . import tasks  # noqa: F401 - registers the tasks the outbox relays by name
        from .sweep import generate_packs_before_meetings

        sweep_step(generate_packs_before_meetings)
