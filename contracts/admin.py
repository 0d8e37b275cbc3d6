"""Admin for organisations, people's roles and contracts.

Staff who are not superusers see only the contracts the access rule gives them, in every list
and form; states and levels are read-only here (they change through transitions only).
"""

from django.contrib import admin

from .access import scoped
from .models import (
    AnnualPlan,
    Commitment,
    Contract,
    Membership,
    Organisation,
    ReviewCycle,
    Target,
    TargetRevision,
    Track,
)


class ContractScopedAdmin(admin.ModelAdmin):
    """Limits a non-superuser's admin to rows of contracts they may see."""

    #: Path from the model to its contract ("" for Contract itself).
    contract_path = "contract"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if not self.contract_path:
            return scoped(request.user, qs, "pk")
        return scoped(request.user, qs, self.contract_path)


class ReadOnlyScopedAdmin(ContractScopedAdmin):
    """Rows that change only through the product's own services (evidence, claims, decisions,
    flags): viewable here, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", "organisation__kind")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ["user", "organisation"]


class ReviewCycleInline(admin.TabularInline):
    model = ReviewCycle
    extra = 0


@admin.register(Contract)
class ContractAdmin(ContractScopedAdmin):
    contract_path = ""
    list_display = ("reference", "title", "provider", "framework", "state", "end_date")
    list_filter = ("state",)
    list_select_related = ("provider", "framework")
    search_fields = ("reference", "title")
    readonly_fields = ("state", "termination_reason", "created_at")
    filter_horizontal = ("authorities", "board_members", "auditors")
    inlines = [ReviewCycleInline]


@admin.register(Track)
class TrackAdmin(ContractScopedAdmin):
    list_display = ("contract", "focus_area", "level_rank", "sustained")
    list_select_related = ("contract", "focus_area")
    readonly_fields = (
        "contract",
        "focus_area",
        "level_rank",
        "level_reached_at",
        "sustained",
        "sustained_since",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TargetRevisionInline(admin.TabularInline):
    model = TargetRevision
    extra = 0
    can_delete = False
    readonly_fields = (
        "level_rank",
        "due_date",
        "requires_sustained",
        "reason",
        "revised_by",
        "revised_at",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Target)
class TargetAdmin(ContractScopedAdmin):
    contract_path = "track__contract"
    list_display = ("track", "level_rank", "due_date", "status", "source")
    list_filter = ("status", "source")
    list_select_related = ("track__contract", "track__focus_area")
    readonly_fields = [f.name for f in Target._meta.fields if f.name != "id"]
    inlines = [TargetRevisionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommitmentInline(admin.StackedInline):
    model = Commitment
    extra = 0
    filter_horizontal = ("tracks",)


@admin.register(AnnualPlan)
class AnnualPlanAdmin(ContractScopedAdmin):
    list_display = ("title", "contract", "year_starting")
    list_select_related = ("contract",)
    inlines = [CommitmentInline]
