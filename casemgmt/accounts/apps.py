from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "casemgmt.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from . import signals  # noqa: F401
