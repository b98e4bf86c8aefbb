from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cmr_reader.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cmr_reader.idle_timeout import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="cmr_reader.idle_timeout.stamp_login")
        # The code step's flag is set once at login, so its middleware needs no query per request.
        from cmr_reader.accounts.two_factor import remember_at_login

        user_logged_in.connect(
            remember_at_login, dispatch_uid="cmr_reader.accounts.two_factor.remember_at_login"
        )
        # The language and time zone are read once at login, so a page costs no extra query.
        from cmr_reader.accounts.preferences import remember_at_login as remember_preference

        user_logged_in.connect(
            remember_preference, dispatch_uid="cmr_reader.accounts.preferences.remember_at_login"
        )
