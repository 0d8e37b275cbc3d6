"""Administering frameworks: import, edit drafts, publish, retire, tailor.

A published or retired version is shown read-only with all its parts; the only way to change it
is to tailor it into a new draft version. Every operation goes through `matrix.services`, so the
admin refuses what the import command refuses, with the same messages.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import services
from .forms import CriteriaField, FrameworkImportForm
from .importer import FrameworkImportError
from .models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor
from .selectors import with_counts


def _is_locked(framework: Framework | None) -> bool:
    return framework is not None and framework.is_locked


class LockedInlineMixin:
    """Inline rows of a locked version are shown, never added, changed or deleted."""

    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return not _is_locked(self._framework(obj)) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _is_locked(self._framework(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _is_locked(self._framework(obj)) and super().has_delete_permission(request, obj)

    def _framework(self, obj):
        if obj is None:
            return None
        return obj if isinstance(obj, Framework) else obj.framework


class LevelInline(LockedInlineMixin, admin.TabularInline):
    model = Level
    fields = ("rank", "code", "label")


class CategoryInline(LockedInlineMixin, admin.TabularInline):
    model = Category
    fields = ("order", "name")


class FocusAreaInline(LockedInlineMixin, admin.TabularInline):
    model = FocusArea
    fields = ("order", "name", "category")
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "category" in formset.form.base_fields:
            field = formset.form.base_fields["category"]
            field.queryset = (
                Category.objects.filter(framework=obj) if obj else Category.objects.none()
            )
        return formset


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Framework.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "status",
        "level_count",
        "focus_area_count",
        "evidence_type_count",
        "tailored_from",
        "created_at",
    )
    list_filter = (StatusFilter,)
    list_select_related = ("tailored_from",)
    search_fields = ("name", "title")
    fields = (
        "name",
        "version",
        "status",
        "title",
        "preamble",
        "notes",
        "tailored_from",
        "source_name",
        "source_sha256",
        "content_sha256",
        "created_at",
        "published_at",
        "page_link",
    )
    readonly_fields = (
        "version",
        "status",
        "tailored_from",
        "source_name",
        "source_sha256",
        "content_sha256",
        "created_at",
        "published_at",
        "page_link",
    )
    inlines = (LevelInline, CategoryInline, FocusAreaInline)
    actions = ("publish_selected", "retire_selected", "tailor_selected")
    change_list_template = "admin/matrix/framework/change_list.html"

    def get_queryset(self, request):
        return with_counts(super().get_queryset(request))

    @admin.display(description="levels", ordering="level_count")
    def level_count(self, obj) -> int:
        return obj.level_count

    @admin.display(description="focus areas", ordering="focus_area_count")
    def focus_area_count(self, obj) -> int:
        return obj.focus_area_count

    @admin.display(description="evidence types", ordering="evidence_type_count")
    def evidence_type_count(self, obj) -> int:
        return obj.evidence_type_count

    @admin.display(description="page")
    def page_link(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "–"
        url = reverse("matrix:framework_detail", args=[obj.pk])
        return format_html('<a href="{}">View the matrix</a>', url)

    def has_add_permission(self, request) -> bool:
        # New frameworks come from a spreadsheet (or by tailoring), never an empty form.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return not _is_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _is_locked(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Deleting goes one draft at a time from its page; a bulk delete would reach locked rows.
        actions.pop("delete_selected", None)
        return actions

    def _run(self, request, queryset, operation, done: str) -> None:
        for framework in queryset.order_by("name", "version"):
            try:
                result = operation(framework=framework, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, text, messages.ERROR)
            else:
                self.message_user(request, done.format(source=framework, result=result))

    @admin.action(description="Publish the selected drafts", permissions=["change"])
    def publish_selected(self, request, queryset) -> None:
        self._run(request, queryset, services.publish, "Published {source}.")

    @admin.action(description="Retire the selected published versions", permissions=["change"])
    def retire_selected(self, request, queryset) -> None:
        self._run(request, queryset, services.retire, "Retired {source}.")

    @admin.action(description="Tailor: copy into a new draft version", permissions=["tailor"])
    def tailor_selected(self, request, queryset) -> None:
        self._run(
            request,
            queryset,
            services.tailor_framework,
            "Tailored {source} into {result} (draft): edit it, then publish it.",
        )

    def has_tailor_permission(self, request) -> bool:
        return request.user.has_perm("matrix.add_framework")

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="matrix_framework_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a spreadsheet: judged by the same importer as the import command."""
        if not request.user.has_perm("matrix.add_framework"):
            raise PermissionDenied
        form = FrameworkImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.import_framework(
                    content=form.cleaned_data["content"],
                    filename=upload.name,
                    name=form.cleaned_data["name"] or None,
                    publish=form.cleaned_data["publish"],
                    actor=request.user,
                )
            except FrameworkImportError as exc:
                for problem in exc.problems:
                    form.add_error("file", str(problem))
            else:
                level = messages.SUCCESS if result.created else messages.WARNING
                self.message_user(request, result.message, level)
                return redirect("admin:matrix_framework_change", result.framework.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a framework from a spreadsheet",
            "form": form,
        }
        return TemplateResponse(request, "admin/matrix/framework/import.html", context)


class LevelDescriptorForm(forms.ModelForm):
    criteria = CriteriaField(
        required=False, help_text="A checklist: one criterion per line. Leave blank for prose."
    )

    class Meta:
        model = LevelDescriptor
        fields = ("level", "text", "criteria")


class FocusAreaPartInline(LockedInlineMixin, admin.TabularInline):
    def _framework(self, obj):
        return obj.framework if obj is not None else None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        levels = (
            Level.objects.filter(framework_id=obj.framework_id) if obj else Level.objects.none()
        )
        for name in ("level", "applies_from"):
            if name in formset.form.base_fields:
                formset.form.base_fields[name].queryset = levels
        return formset


class LevelDescriptorInline(FocusAreaPartInline):
    model = LevelDescriptor
    form = LevelDescriptorForm
    fields = ("level", "text", "criteria")


class EvidenceTypeInline(FocusAreaPartInline):
    model = EvidenceType
    fields = ("order", "name", "recency_months", "applies_from")


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin):
    """A focus area's descriptors and evidence base (reached from its framework's page)."""

    list_display = ("name", "framework", "category", "order")
    list_filter = ("framework",)
    list_select_related = ("framework", "category")
    search_fields = ("name", "framework__name")
    fields = ("framework", "category", "order", "name")
    readonly_fields = ("framework",)
    inlines = (LevelDescriptorInline, EvidenceTypeInline)

    def has_add_permission(self, request) -> bool:
        return False  # focus areas are added on their framework's page

    def has_change_permission(self, request, obj=None) -> bool:
        locked = obj is not None and obj.framework.is_locked
        return not locked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        locked = obj is not None and obj.framework.is_locked
        return not locked and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            object_id = (
                request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            )
            area = FocusArea.objects.filter(pk=object_id).first() if object_id else None
            kwargs["queryset"] = (
                Category.objects.filter(framework_id=area.framework_id)
                if area
                else Category.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
