"""Admin for users' personal collections."""

from django.contrib import admin

from collections_app.models import UserCollection


@admin.register(UserCollection)
class UserCollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_shared", "created"]
    list_filter = ["is_shared"]
    search_fields = ["name", "owner__username", "description"]
    raw_id_fields = ["owner", "signatures"]
    filter_horizontal = ["datasets"]
    readonly_fields = ["share_token", "created"]
