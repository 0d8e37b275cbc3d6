"""Operations that change frameworks: import, publish, retire, tailor.

The import command, the admin upload form and the admin actions all call these, so a file is
judged by the same rules and answered with the same messages wherever it comes in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from audit.models import AuditEvent
from audit.services import record

from .importer import (
    MAX_NAME,
    FrameworkImportError,
    Problem,
    parse_rows,
    read_rows,
)
from .models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor
from .selectors import framework_spec
from .spec import FrameworkSpec


def _require_manager(actor, permission: str) -> None:
    """Frameworks are managed by administrators; commands and jobs act without a person."""
    if actor is None:
        return
    if not (actor.is_active and (actor.is_staff or actor.is_superuser)) or not actor.has_perm(
        permission
    ):
        raise PermissionDenied("Only administrators can manage maturity frameworks.")


@dataclass(frozen=True)
class ImportResult:
    framework: Framework
    #: False when a version with the same content was already there (nothing was saved).
    created: bool
    #: True when this import published the version (a new one, or an existing draft).
    published_now: bool
    spec: FrameworkSpec
    source_name: str
    #: The latest other version of the same name when this import made a new version.
    previous: Framework | None = None

    @property
    def headline(self) -> str:
        """What happened, to which version, in one sentence."""
        fw = self.framework
        status = fw.get_status_display().lower()
        if not self.created:
            text = (
                f'"{fw.name}" version {fw.version} ({status}) is already there with the same '
                f"content as {self.source_name}; nothing was imported."
            )
            if self.published_now:
                text += " That version has now been published."
            return text
        text = f'Imported "{fw.name}" as version {fw.version} ({status}) from {self.source_name}.'
        if self.previous is not None:
            text += (
                f" The file differs from version {self.previous.version}, which stays as it was."
            )
        return text

    @property
    def message(self) -> str:
        """The headline with the counts, for one-line answers (the admin)."""
        if not self.created:
            return self.headline
        return f"{self.headline} {self.spec.summary()}."

    @property
    def details(self) -> list[str]:
        """The counts, one per line, for the command's output."""
        spec = self.spec
        levels = ", ".join(level.label or level.code for level in spec.levels)
        notes = [p for p in spec.notes.split("\n\n") if p.strip()]
        return [
            f"title: {spec.title or '(none)'}",
            f"levels: {len(spec.levels)} ({levels})",
            f"categories: {len(spec.categories)}",
            f"focus areas: {len(spec.focus_areas)}",
            f"level descriptors: {spec.descriptor_count} ({spec.blank_descriptor_count} blank, "
            f"{spec.checklist_count} checklists)",
            f"evidence types: {spec.evidence_type_count}",
            f"notes: {len(notes)} paragraph{'s' if len(notes) != 1 else ''}",
        ]


def parse_file(*, content: bytes, filename: str) -> FrameworkSpec:
    """Reads a spreadsheet into a framework without saving anything (raises
    `FrameworkImportError` naming the row, column and rule of every problem)."""
    rows, padded = read_rows(content, filename)
    return parse_rows(rows, padded=padded)


@transaction.atomic
def import_framework(
    *,
    content: bytes,
    filename: str,
    name: str | None = None,
    publish: bool = False,
    actor=None,
) -> ImportResult:
    """Imports a framework from a TSV, CSV or XLSX file, all or nothing.

    The same content under the same name is recognised (whatever the file format) and not saved
    again; different content becomes the next version of that name, as a draft unless `publish`.
    """
    _require_manager(actor, "matrix.add_framework")
    source_name = PurePath(filename or "upload").name
    spec = parse_file(content=content, filename=source_name)
    name = " ".join((name or spec.title or PurePath(source_name).stem).split())
    if not name:
        raise FrameworkImportError([Problem("Give the framework a name (--name).")])
    if len(name) > MAX_NAME:
        raise FrameworkImportError(
            [
                Problem(
                    f"The framework name is longer than {MAX_NAME} characters; give a shorter "
                    "one (--name)."
                )
            ]
        )
    fingerprint = spec.fingerprint()
    versions = list(Framework.objects.select_for_update().filter(name=name).order_by("version"))
    for existing in versions:
        if _content_fingerprint(existing) == fingerprint:
            published_now = False
            if publish and existing.status == Framework.Status.DRAFT:
                _publish(framework=existing, actor=actor)
                existing.refresh_from_db()
                published_now = True
            return ImportResult(existing, False, published_now, spec, source_name)

    version = versions[-1].version + 1 if versions else 1
    try:
        with transaction.atomic():
            framework = _save_spec(
                spec,
                name=name,
                version=version,
                source_name=source_name,
                source_sha256=hashlib.sha256(content).hexdigest(),
            )
    except IntegrityError as exc:
        raise FrameworkImportError(
            [
                Problem(
                    f'Another import of "{name}" was saved at the same moment; run this '
                    "import again."
                )
            ]
        ) from exc
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=framework,
        comment=f"Imported from {source_name} (SHA-256 {framework.source_sha256}): "
        f"{spec.summary()}",
    )
    if publish:
        _publish(framework=framework, actor=actor)
        framework.refresh_from_db()
    return ImportResult(
        framework, True, publish, spec, source_name, versions[-1] if versions else None
    )


def _content_fingerprint(framework: Framework) -> str:
    # A locked version can't change, so its stored fingerprint holds; a draft may have been
    # edited since it was saved, so it is read afresh.
    if framework.is_locked and framework.content_sha256:
        return framework.content_sha256
    return framework_spec(framework).fingerprint()


def _save_spec(
    spec: FrameworkSpec,
    *,
    name: str,
    version: int,
    source_name: str = "",
    source_sha256: str = "",
) -> Framework:
    framework = Framework.objects.create(
        name=name,
        version=version,
        title=spec.title,
        preamble=spec.preamble,
        notes=spec.notes,
        layout=spec.layout.to_json(),
        source_name=source_name,
        source_sha256=source_sha256,
        content_sha256=spec.fingerprint(),
    )
    levels = Level.objects.bulk_create(
        [
            Level(framework=framework, rank=level.rank, code=level.code, label=level.label)
            for level in spec.levels
        ]
    )
    level_by_rank = {level.rank: level for level in levels}
    categories = Category.objects.bulk_create(
        [
            Category(framework=framework, order=order, name=category)
            for order, category in enumerate(spec.categories, start=1)
        ]
    )
    category_by_name = {category.name: category for category in categories}
    areas = FocusArea.objects.bulk_create(
        [
            FocusArea(
                framework=framework,
                category=category_by_name[area.category],
                order=order,
                name=area.name,
            )
            for order, area in enumerate(spec.focus_areas, start=1)
        ]
    )
    LevelDescriptor.objects.bulk_create(
        [
            LevelDescriptor(
                focus_area=area,
                level=level,
                text=descriptor.text,
                criteria=list(descriptor.criteria),
            )
            for area, area_spec in zip(areas, spec.focus_areas, strict=True)
            for level, descriptor in zip(levels, area_spec.descriptors, strict=True)
        ]
    )
    EvidenceType.objects.bulk_create(
        [
            EvidenceType(
                focus_area=area,
                order=order,
                name=item.name,
                recency_months=item.recency_months,
                applies_from=level_by_rank.get(item.applies_from_rank),
            )
            for area, area_spec in zip(areas, spec.focus_areas, strict=True)
            for order, item in enumerate(area_spec.evidence, start=1)
        ]
    )
    return framework


@transaction.atomic
def publish(*, framework: Framework, actor, description: str = "") -> Framework:
    """Publishes a draft: from now on the version never changes (tailor it to change it)."""
    _require_manager(actor, "matrix.change_framework")
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status != Framework.Status.DRAFT:
        raise ValidationError(
            f"{framework} is {framework.get_status_display().lower()}; only a draft can be "
            "published."
        )
    levels = list(framework.levels.all())
    areas = list(framework.focus_areas.all())
    if len(levels) < 2:
        raise ValidationError(f"{framework} needs at least two levels before it is published.")
    if not areas:
        raise ValidationError(f"{framework} needs at least one focus area before it is published.")
    # Every focus area gets a descriptor for every level (blank where none was written), so
    # what a level means is always one row to look up.
    present = set(
        LevelDescriptor.objects.filter(focus_area__framework=framework).values_list(
            "focus_area_id", "level_id"
        )
    )
    LevelDescriptor.objects.bulk_create(
        [
            LevelDescriptor(focus_area=area, level=level)
            for area in areas
            for level in levels
            if (area.pk, level.pk) not in present
        ]
    )
    framework.content_sha256 = framework_spec(framework).fingerprint()
    framework.publish(by=actor, description=description or "Published.")
    framework.save()
    return framework


@transaction.atomic
def retire(*, framework: Framework, actor, description: str = "") -> Framework:
    """Retires a published version: contracts that use it keep it; it is no longer offered."""
    _require_manager(actor, "matrix.change_framework")
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status != Framework.Status.PUBLISHED:
        raise ValidationError(
            f"{framework} is {framework.get_status_display().lower()}; only a published version "
            "can be retired."
        )
    framework.retire(by=actor, description=description or "Retired.")
    framework.save()
    return framework


@transaction.atomic
def tailor_framework(*, framework: Framework, actor) -> Framework:
    """A new draft version copied from a published one – every level, category, focus area,
    descriptor and evidence type – to refine at mobilisation; the source stays untouched."""
    _require_manager(actor, "matrix.add_framework")
    source = Framework.objects.select_for_update().get(pk=framework.pk)
    if source.status != Framework.Status.PUBLISHED:
        raise ValidationError(
            f"{source} is {source.get_status_display().lower()}; only a published version can "
            "be tailored."
        )
    latest = Framework.objects.filter(name=source.name).aggregate(v=Max("version"))["v"]
    draft = Framework.objects.create(
        name=source.name,
        version=latest + 1,
        title=source.title,
        preamble=source.preamble,
        notes=source.notes,
        layout=source.layout,
        source_name=source.source_name,
        source_sha256=source.source_sha256,
        content_sha256=source.content_sha256,
        tailored_from=source,
    )
    old_levels = list(Level.objects.filter(framework=source).order_by("rank"))
    new_levels = Level.objects.bulk_create(
        [Level(framework=draft, rank=lv.rank, code=lv.code, label=lv.label) for lv in old_levels]
    )
    level_map = {old.pk: new for old, new in zip(old_levels, new_levels, strict=True)}
    old_categories = list(Category.objects.filter(framework=source).order_by("order"))
    new_categories = Category.objects.bulk_create(
        [Category(framework=draft, order=c.order, name=c.name) for c in old_categories]
    )
    category_map = {old.pk: new for old, new in zip(old_categories, new_categories, strict=True)}
    old_areas = list(FocusArea.objects.filter(framework=source).order_by("order"))
    new_areas = FocusArea.objects.bulk_create(
        [
            FocusArea(
                framework=draft,
                category=category_map[area.category_id],
                order=area.order,
                name=area.name,
            )
            for area in old_areas
        ]
    )
    area_map = {old.pk: new for old, new in zip(old_areas, new_areas, strict=True)}
    LevelDescriptor.objects.bulk_create(
        [
            LevelDescriptor(
                focus_area=area_map[d.focus_area_id],
                level=level_map[d.level_id],
                text=d.text,
                criteria=list(d.criteria or []),
            )
            for d in LevelDescriptor.objects.filter(focus_area__framework=source)
        ]
    )
    EvidenceType.objects.bulk_create(
        [
            EvidenceType(
                focus_area=area_map[e.focus_area_id],
                order=e.order,
                name=e.name,
                recency_months=e.recency_months,
                applies_from=level_map.get(e.applies_from_id),
            )
            for e in EvidenceType.objects.filter(focus_area__framework=source)
        ]
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=draft,
        comment=f"Tailored from {source} as a new draft version.",
    )
    return draft


# `import_framework` takes a `publish` flag, which hides the function of that name inside it.
_publish = publish
