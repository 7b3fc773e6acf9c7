"""Deadlines are rows swept by a periodic task. A task scheduled days ahead with `eta` or
`countdown` would be redelivered by Redis when its visibility timeout lapses, so no code
of ours may schedule one."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"eta", "countdown"}


def scheduled_with_delay(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and any(k.arg in FORBIDDEN for k in node.keywords):
            lines.append(node.lineno)
    return lines


def test_the_checker_finds_what_it_looks_for():
    assert scheduled_with_delay("task.apply_async(args=[1], countdown=60)") == [1]
    assert scheduled_with_delay("x = 1\ntask.apply_async(eta=when)") == [2]
    assert scheduled_with_delay("task.delay(1)") == []


def test_no_project_code_schedules_a_task_with_eta_or_countdown():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "node_modules", "tests"}:
            continue
        for line in scheduled_with_delay(path.read_text()):
            offenders.append(f"{relative}:{line}")
    assert offenders == []
