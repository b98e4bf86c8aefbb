from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImagingConfig(AppConfig):
    name = "cmr_reader.imaging"
    label = "imaging"
    verbose_name = _("Imaging")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from cmr_reader.imaging import frame_grants

        def revoke_frame_grant(sender, request, **kwargs):
            # The only way to hear of a logout: the fast lane must stop serving this session now.
            frame_grants.revoke(request.session.session_key)

        user_logged_out.connect(revoke_frame_grant, dispatch_uid="imaging.revoke_frame_grant", weak=False)
