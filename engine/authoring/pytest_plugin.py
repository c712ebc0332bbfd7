"""pytest plugin: the expert cases in knowledge/<pack>/*.yaml, one test item per case.

    pytest knowledge/steel                      # every case of a pack
    pytest knowledge/steel/hot_charging.yaml    # the cases of one measure
    pytest knowledge -k 冷装                     # by case name

A failing case shows file:line, expected vs actual and each rule's conditions.
Registered through the ``pytest11`` entry point of pyproject.toml.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

_KBS: dict[Path, Any] = {}  # knowledge root -> KnowledgeBase or KnowledgeError, once per test session


def is_knowledge_file(path: Path) -> bool:
    """A YAML file of a knowledge pack: <root>/<pack>/<file>.yaml beside a pack.yaml that declares ``pack:``.

    Only such files are collected, so installing cpadvisor never makes pytest read another project's YAML.
    """
    if path.suffix != ".yaml":
        return False
    pack = path.parent / "pack.yaml"
    return pack.is_file() and _declares_pack(pack)


_PACKS: dict[Path, bool] = {}


def _declares_pack(pack: Path) -> bool:
    if pack not in _PACKS:
        try:
            with open(pack, encoding="utf-8", errors="replace") as fh:
                _PACKS[pack] = any(line.startswith("pack:") for line in fh)
        except OSError:
            _PACKS[pack] = False
    return _PACKS[pack]


def pytest_collect_file(parent, file_path: Path):
    if is_knowledge_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def knowledge_of(root: Path):
    """The loaded knowledge base of ``root`` (or the KnowledgeError), loaded once per session."""
    from cpadvisor.errors import KnowledgeError
    from cpadvisor.knowledge.loader import load_knowledge
    root = root.resolve()
    if root not in _KBS:
        try:
            _KBS[root] = load_knowledge(root)
        except KnowledgeError as exc:
            _KBS[root] = exc
    return _KBS[root]


def _line(problem) -> str:
    """A loader problem as one line, its file relative to the working directory."""
    text = problem.one_line()
    if problem.file:
        try:
            text = text.replace(problem.file, os.path.relpath(problem.file), 1)
        except ValueError:
            pass
    return text


class CaseFailure(Exception):
    """A case or a pack that failed: the message is the whole report."""


class CaseFile(pytest.File):
    def collect(self):
        from cpadvisor.errors import KnowledgeError
        kb = knowledge_of(self.path.parent.parent)
        if isinstance(kb, KnowledgeError):
            me = self.path.resolve()
            mine = [p for p in kb.problems if p.file and Path(p.file).resolve() == me]
            yield KnowledgeLoadItem.from_parent(self, name="knowledge does not load", problems=mine, others=kb.problems)
            return
        me = self.path.resolve()
        seen: dict[str, int] = {}
        for ci in kb.cases:
            if Path(ci.file).resolve() != me:
                continue
            name = ci.case.name
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} [{seen[name]}]"
            yield CaseItem.from_parent(self, name=name, info=ci)
        for info in kb.indicator_systems.values():  # an indicator system's cases, beside it
            if Path(info.file).resolve() != me:
                continue
            for case, line in info.cases:
                yield SystemCaseItem.from_parent(self, name=case.name, system=info.system.id, case=case, line=line)


class SystemCaseItem(pytest.Item):
    """An expert case of a 清洁生产评价指标体系: the profile's grade, levels, caps and missing values."""

    def __init__(self, *, system, case, line, **kw):
        super().__init__(**kw)
        self.system, self.case, self.line = system, case, line

    def runtest(self):
        from cpadvisor.authoring.cases import run_system_case
        failures = run_system_case(knowledge_of(self.path.parent.parent), self.system, self.case)
        if failures:
            raise CaseFailure(f"{self.path}:{self.line}: case '{self.case.name}' failed / 用例未通过\n"
                              + "\n".join(f"  - {f}" for f in failures))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, (self.line or 1) - 1, f"case: {self.case.name}"


class KnowledgeLoadItem(pytest.Item):
    """Stands for a file whose knowledge does not load: fails with the loader's file:line problems."""

    def __init__(self, *, problems, others, **kw):
        super().__init__(**kw)
        self.problems = problems
        self.others = others

    def runtest(self):
        if self.problems:
            text = "this file does not load / 本文件无法加载:\n" + "\n".join(_line(p) for p in self.problems)
        else:
            text = ("the knowledge does not load because of other files / 其他文件有错误，知识库无法加载:\n"
                    + "\n".join(_line(p) for p in self.others[:10])
                    + (f"\n… {len(self.others) - 10} more (cpadvisor lint)" if len(self.others) > 10 else ""))
        raise CaseFailure(text)

    def repr_failure(self, excinfo):
        return str(excinfo.value)

    def reportinfo(self):
        line = self.problems[0].line if self.problems and self.problems[0].line else 1
        return self.path, line - 1, "load"


class CaseItem(pytest.Item):
    def __init__(self, *, info, **kw):
        super().__init__(**kw)
        self.info = info

    def runtest(self):
        from cpadvisor.authoring.cases import run_case
        kb = knowledge_of(self.path.parent.parent)
        res = run_case(kb, self.info)
        if res.failures:
            raise CaseFailure(res.report(kb))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, (self.info.line or 1) - 1, f"case: {self.info.case.name}"
