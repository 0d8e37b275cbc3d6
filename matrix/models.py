"""Maturity frameworks: a scale of levels and a tree of categories → focus areas.

A published framework version never changes (enforced here, in the model layer); tailoring it
makes a new draft version.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description


class FrameworkLocked(ValidationError):
    """Raised on any attempt to change a published (or retired) framework version."""


LOCKED_STATUSES = ("published", "retired")


class FrameworkQuerySet(models.QuerySet):
    """Bulk writes can't reach around the lock: `update()` and `delete()` refuse locked rows."""

    def _refuse_locked(self, verb: str) -> None:
        if self.filter(status__in=LOCKED_STATUSES).exists():
            raise FrameworkLocked(
                f"Published and retired framework versions cannot be {verb}; tailor one into a "
                "new version instead."
            )

    def update(self, **kwargs):
        self._refuse_locked("changed")
        return super().update(**kwargs)

    def delete(self):
        self._refuse_locked("deleted")
        return super().delete()


class FrameworkPartQuerySet(models.QuerySet):
    """The parts of a locked version refuse bulk writes as their `save()`/`delete()` do."""

    def _refuse_locked(self) -> None:
        path = self.model.framework_path
        if self.filter(**{f"{path}__status__in": LOCKED_STATUSES}).exists():
            raise FrameworkLocked(
                "This framework version is published and cannot be changed; tailor it into a "
                "new version instead."
            )

    def update(self, **kwargs):
        self._refuse_locked()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_locked()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_locked_ids(self.model.framework_ids_of(objs))
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        ids = self.model.framework_ids_of(objs)
        stored = self.model._base_manager.filter(pk__in=[obj.pk for obj in objs])
        ids |= set(stored.values_list(self.model.framework_path, flat=True))
        _refuse_locked_ids(ids)
        return super().bulk_update(objs, *args, **kwargs)


def _refuse_locked_ids(framework_ids: set) -> None:
    framework_ids.discard(None)
    if (
        framework_ids
        and Framework.objects.filter(pk__in=framework_ids, status__in=LOCKED_STATUSES).exists()
    ):
        raise FrameworkLocked(
            "This framework version is published and cannot be changed; tailor it into a "
            "new version instead."
        )


class Framework(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)
    title = models.CharField(max_length=300, blank=True, help_text="Title line of the source.")
    preamble = models.TextField(blank=True, help_text="Text above the table in the source.")
    notes = models.TextField(blank=True, help_text="Free-text notes that follow the table.")
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # Content fingerprint: a re-import of the same matrix is recognised even from another format.
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # Where things stood in the source table (column order and headers, header blocks, the notes
    # heading), so an export writes the matrix back in the layout it came in.
    layout = models.JSONField(default=dict, blank=True)
    tailored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="tailorings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="framework_name_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT

    def save(self, *args, **kwargs):
        if self.pk is not None:
            names = [f.attname for f in self._meta.concrete_fields]
            stored = Framework.objects.filter(pk=self.pk).values(*names).first()
            if stored and stored["status"] != self.Status.DRAFT:
                # Only the lifecycle may move on a locked version; nothing else about it.
                changed = [
                    name
                    for name in names
                    if name not in ("status", "published_at")
                    and getattr(self, name) != stored[name]
                ]
                if changed:
                    raise FrameworkLocked(
                        f"{self} is {stored['status']} and cannot be changed; tailor it into a "
                        "new version instead."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_locked:
            raise FrameworkLocked(f"{self} is {self.status} and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.DRAFT, target=Status.PUBLISHED)
    def publish(self, by=None, description=None) -> None:
        from django.utils import timezone

        self.published_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.PUBLISHED, target=Status.RETIRED)
    def retire(self, by=None, description=None) -> None:
        pass


class FrameworkPart(models.Model):
    """Base for every row that belongs to a framework version and freezes with it."""

    #: The lookup from this model to its framework (for queries across many rows).
    framework_path = "framework"

    objects = FrameworkPartQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_framework_id(self) -> int | None:
        return self.framework_id

    @classmethod
    def framework_ids_of(cls, objs) -> set:
        """The framework versions a batch of (unsaved or changed) rows would belong to."""
        return {obj.framework_id for obj in objs}

    def _check_unlocked(self) -> None:
        # The version the row belongs to now and, for a stored row, the one it belonged to: a
        # part can neither join a locked version nor be moved out of one.
        ids = type(self).framework_ids_of([self])
        if self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk)
            ids |= set(stored.values_list(self.framework_path, flat=True))
        _refuse_locked_ids(ids)

    def save(self, *args, **kwargs):
        self._check_unlocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_unlocked()
        return super().delete(*args, **kwargs)


class Level(FrameworkPart):
    """One step of a framework's ordered scale: numeric (0..5) or named (Early … Mature)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="levels")
    rank = models.PositiveSmallIntegerField(help_text="Order on the scale, lowest first.")
    code = models.CharField(max_length=50, help_text="Short name as in the source, e.g. '3'.")
    label = models.CharField(max_length=100, help_text="Column header, e.g. 'Level 3'.")

    class Meta:
        ordering = ["framework", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "rank"], name="level_rank_unique"),
            models.UniqueConstraint(fields=["framework", "code"], name="level_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Category(FrameworkPart):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="categories")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["framework", "order"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["framework", "order"], name="category_order_unique")
        ]

    def __str__(self) -> str:
        return self.name or "(uncategorised)"


class FocusArea(FrameworkPart):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="focus_areas")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="focus_areas")
    order = models.PositiveSmallIntegerField(help_text="Position within the whole framework.")
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "order"], name="focus_area_order_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LevelDescriptor(FrameworkPart):
    """What a focus area looks like at one level: prose, a checklist of criteria, or blank."""

    focus_area = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="descriptors")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="descriptors")
    text = models.TextField(blank=True)
    criteria = models.JSONField(default=list, blank=True, help_text="Checklist items, if any.")

    class Meta:
        ordering = ["focus_area", "level__rank"]
        constraints = [
            models.UniqueConstraint(fields=["focus_area", "level"], name="descriptor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.focus_area} – {self.level}"

    @property
    def is_blank(self) -> bool:
        return not self.text.strip() and not self.criteria

    framework_path = "focus_area__framework"

    def get_framework_id(self) -> int | None:
        return self.focus_area.framework_id if self.focus_area_id else None

    @classmethod
    def framework_ids_of(cls, objs) -> set:
        return _framework_ids_through_focus_areas(objs)


class EvidenceType(FrameworkPart):
    """One entry of a focus area's evidence base, e.g. 'customer satisfaction surveys'."""

    focus_area = models.ForeignKey(
        FocusArea, on_delete=models.CASCADE, related_name="evidence_types"
    )
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=300)
    recency_months = models.PositiveSmallIntegerField(
        default=12, help_text="Evidence older than this no longer counts as current."
    )
    applies_from = models.ForeignKey(
        Level,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Lowest level this evidence is needed for; blank means every level.",
    )

    class Meta:
        ordering = ["focus_area", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["focus_area", "order"], name="evidence_type_order_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    framework_path = "focus_area__framework"

    def get_framework_id(self) -> int | None:
        return self.focus_area.framework_id if self.focus_area_id else None

    @classmethod
    def framework_ids_of(cls, objs) -> set:
        return _framework_ids_through_focus_areas(objs)


def _framework_ids_through_focus_areas(objs) -> set:
    focus_area_ids = {obj.focus_area_id for obj in objs}
    return set(
        FocusArea._base_manager.filter(pk__in=focus_area_ids).values_list("framework_id", flat=True)
    )
