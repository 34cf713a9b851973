from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "casemgmt.reminders"
    label = "reminders"
    verbose_name = "Reminders and notifications"

    def ready(self) -> None:
        # Each domain app declares its due-item rules in <app>/reminders.py.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("reminders")
