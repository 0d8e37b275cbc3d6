"""No code writes a state or a level directly: states move only through transitions.

The scan walks the project's own Python source (not the tests, not third-party packages) and
fails on `.update(state=…)` / `.update(level_rank=…)`, `bulk_update(…, ["state"])`, assignments
to `x.state` or `track.level_rank`, `setattr(x, "state", …)`, `x.__dict__["state"]`, and raw SQL
that sets either column.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", "tests", ".git", "staticfiles", "var", "__pycache__"}
STATE_FIELDS = {"state", "level_rank"}
RAW_SQL = re.compile(r"\bSET\s+\"?(state|level_rank)\"?\s*=", re.IGNORECASE)


def project_files():
    for path in ROOT.rglob("*.py"):
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts):
            yield path


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def direct_state_writes(source: str, filename: str = "<source>") -> list[str]:
    """Every place in `source` that writes a state or level without a transition."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            func = _name(node.func)
            if func == "update" and {k.arg for k in node.keywords} & STATE_FIELDS:
                found.append(f"{where} .update() of a state field")
            if func == "bulk_update":
                for arg in [*node.args[1:], *(k.value for k in node.keywords)]:
                    for const in ast.walk(arg):
                        if isinstance(const, ast.Constant) and const.value in STATE_FIELDS:
                            found.append(f"{where} bulk_update() of {const.value}")
            if (
                func == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in STATE_FIELDS
            ):
                found.append(f"{where} setattr() of {node.args[1].value}")
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute):
                owner = _name(target.value).lower()
                if target.attr == "state" or (target.attr == "level_rank" and "track" in owner):
                    found.append(f"{where} assignment to {owner}.{target.attr}")
            if (
                isinstance(target, ast.Subscript)
                and _name(target.value) == "__dict__"
                and isinstance(target.slice, ast.Constant)
                and target.slice.value in STATE_FIELDS
            ):
                found.append(f"{where} __dict__ write of {target.slice.value}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_SQL.search(node.value)
        ):
            found.append(f"{where} raw SQL setting a state column")
    return found


def test_the_scan_finds_each_kind_of_direct_write():
    sample = """
Assessment.objects.filter(pk=1).update(state="confirmed")
Track.objects.update(level_rank=5)
Track.objects.bulk_update(tracks, ["sustained", "level_rank"])
assessment.state = "agreed"
track.level_rank = 4
setattr(claim, "state", "agreed")
claim.__dict__["state"] = "agreed"
cursor.execute("UPDATE workflows_assessment SET state = 'agreed'")
"""
    assert len(direct_state_writes(sample)) == 8


def test_the_scan_leaves_legitimate_code_alone():
    sample = """
target.level_rank = level_rank
Track.objects.bulk_update(changed, ["sustained", "sustained_since"])
Target.objects.filter(pk=1).update(status="waived")
Assessment.objects.filter(state="draft")
"""
    assert direct_state_writes(sample) == []


def test_no_project_code_writes_a_state_or_a_level_directly():
    found = []
    files = list(project_files())
    assert any(p.name == "services.py" for p in files)
    for path in files:
        found += direct_state_writes(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []
