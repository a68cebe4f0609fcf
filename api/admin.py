from django.contrib import admin

from api.models import Token
from config.admin import SelectionChecked


@admin.register(Token)
class TokenAdmin(SelectionChecked):
    """Learners' tokens, for whoever is given the permission (superusers): seen, and
    revoked by deleting them (a leaked one, say); never made or changed here, and the
    secret is not kept to be shown."""

    list_display = ["name", "user", "scope", "created_at", "expires_at", "last_used_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__username"]
    list_select_related = ["user"]
    fields = ["name", "user", "scope", "created_at", "expires_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
