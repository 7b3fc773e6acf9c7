from django.apps import AppConfig


class UptakeConfig(AppConfig):
    name = "uptake"
    verbose_name = "National uptake and public register"
