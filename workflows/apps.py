from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Level claims and board decisions"

    def ready(self) -> None:
        from . import signals  # noqa: F401
