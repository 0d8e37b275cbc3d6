"""Evidence in the admin: read-only (items change only through uploads, new versions and
withdrawals), and limited for non-superusers to the contracts they may see."""

from django.contrib import admin

from contracts.admin import ReadOnlyScopedAdmin

from .models import EvidenceItem, EvidencePack


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyScopedAdmin):
    contract_path = "track__contract"
    list_display = (
        "original_filename",
        "track",
        "evidence_type",
        "period_end",
        "uploaded_by",
        "uploaded_at",
        "withdrawn_at",
    )
    list_filter = (("withdrawn_at", admin.EmptyFieldListFilter),)
    list_select_related = ("track__contract", "track__focus_area", "evidence_type", "uploaded_by")
    search_fields = ("original_filename", "sha256", "track__contract__reference")


@admin.register(EvidencePack)
class EvidencePackAdmin(ReadOnlyScopedAdmin):
    contract_path = "track__contract"
    list_display = ("track", "cycle", "created_by", "created_at", "locked_at")
    list_select_related = ("track__contract", "track__focus_area", "cycle", "created_by")
