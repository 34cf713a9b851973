"""The access log: who read, printed or exported which client record, when and from where."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    API_VIEW = "api_view", _("Read through the API")
    HISTORY = "history", _("Read change history")
    PRINT = "print", _("Printed")
    EXPORT = "export", _("Exported")


class AccessLog(models.Model):
    """One row per read; never updated. The client is kept by id so the log outlives a
    record's deletion and never blocks it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_log"
    )
    client_id = models.BigIntegerField(_("client id"), db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=AccessAction.choices)
    path = models.CharField(_("path"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.action} client {self.client_id} at {self.at:%Y-%m-%d %H:%M}"
