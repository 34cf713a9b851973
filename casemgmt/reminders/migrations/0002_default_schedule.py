"""The default schedule of the reminder engine, as django-celery-beat rows an administrator
can change in the admin (Periodic tasks) without a deploy: the sweep every 15 minutes,
delivery of urgent e-mail every minute, and the digest check every 15 minutes (each user's
digest goes out once their hour has come)."""

from typing import Any

from django.db import migrations

TASKS = [
    # name, task, every (minutes)
    ("Reminders: compute what is due", "casemgmt.reminders.tasks.reminders_sweep", 15),
    ("Reminders: deliver urgent e-mail", "casemgmt.reminders.tasks.reminders_deliver", 1),
    ("Reminders: send daily digests", "casemgmt.reminders.tasks.reminders_send_digests", 15),
]


def create(apps: Any, schema_editor: Any) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in TASKS:
        interval, _ = interval_model.objects.get_or_create(every=minutes, period="minutes")
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def remove(apps: Any, schema_editor: Any) -> None:
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[name for name, _task, _m in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
