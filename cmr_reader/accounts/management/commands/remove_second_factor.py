from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmr_reader.accounts.two_factor import remove_devices_of


class Command(BaseCommand):
    help = _(
        "Remove a user's second factor (a lost phone): their next login asks for the password only. "
        "Administrators can also do this in the admin under TOTP devices."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user is named %(username)s.") % {"username": username})
        removed = remove_devices_of(user=user)
        message = ngettext(
            "Removed %(count)d authenticator of %(username)s.",
            "Removed %(count)d authenticators of %(username)s.",
            removed,
        )
        self.stdout.write(message % {"count": removed, "username": username})
