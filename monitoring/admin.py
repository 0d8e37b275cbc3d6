"""Operators' view of flags, the outbox and the jobs' last runs.

Flags and job runs are read-only here (the jobs own them). Failed notifications are listed with
their last error and can be queued again once the cause (an address, the mail server) is fixed.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet

from contracts.admin import ContractScopedAdmin, ReadOnlyScopedAdmin

from .models import Flag, Notification, NotificationPreference, ScheduledJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyScopedAdmin):
    list_display = ("kind", "severity", "contract", "subject_key", "raised_at", "resolved_at")
    list_filter = ("kind", "severity", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("subject_key", "detail", "contract__reference")
    list_select_related = ("contract",)
    date_hierarchy = "raised_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin, ContractScopedAdmin):
    list_display = (
        "subject",
        "recipient",
        "kind",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind", "critical")
    search_fields = ("subject", "dedup_key", "recipient__username", "recipient__email")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    actions = ["send_again"]

    def has_change_permission(self, request, obj=None):
        # Needed for the action; the change form itself shows every field read-only.
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.action(description="Queue the selected failed notifications again")
    def send_again(self, request, queryset: QuerySet[Notification]) -> None:
        count = queryset.filter(status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, attempts=0, next_attempt_at=None, last_error=""
        )
        self.message_user(request, f"{count} notification(s) queued again.", messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind")
    list_filter = ("kind",)
    search_fields = ("user__username",)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_started_at", "last_finished_at", "last_result")
