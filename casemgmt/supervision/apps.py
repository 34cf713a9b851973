from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "casemgmt.supervision"
    label = "supervision"
    verbose_name = "Supervision"
