from django.contrib import admin

from cmr_reader.accounts.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the access log is append-only, written by ``access_log.record_access`` alone."""

    list_display = ["at", "username", "action", "target", "study", "ip", "request_id"]
    list_filter = ["action"]
    search_fields = ["username", "target"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
