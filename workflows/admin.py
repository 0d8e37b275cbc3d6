"""Claims and board decisions in the admin: read-only (they move only through their transitions
and the board's recording), limited for non-superusers to the contracts they may see."""

from django.contrib import admin

from contracts.admin import ReadOnlyScopedAdmin

from .models import Assessment, BoardDecision, BoardMeeting, CriterionJudgement


class JudgementInline(admin.TabularInline):
    model = CriterionJudgement
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyScopedAdmin):
    contract_path = "track__contract"
    list_display = ("__str__", "cycle", "state", "submitted_at", "agreed_at", "confirmed_at")
    list_filter = ("state", "kind")
    list_select_related = ("track__contract", "track__focus_area", "cycle")
    inlines = [JudgementInline]


@admin.register(BoardMeeting)
class BoardMeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ("__str__", "contract", "held_on")
    list_select_related = ("contract",)


@admin.register(BoardDecision)
class BoardDecisionAdmin(ReadOnlyScopedAdmin):
    list_display = ("__str__", "contract", "kind", "clause", "recorded_by", "recorded_at")
    list_filter = ("kind",)
    list_select_related = ("contract", "recorded_by")
