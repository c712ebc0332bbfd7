"""pytest plugin: collects the expert cases in knowledge/<pack>/*.yaml, one test item per case."""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".yaml" and file_path.parent.parent.name == "knowledge" and file_path.name != "pack.yaml" \
            or (file_path.name == "pack.yaml" and file_path.parent.parent.name == "knowledge"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _kb(root: Path):
    from engine.kb import load_knowledge
    return load_knowledge(root)


class CaseFile(pytest.File):
    def collect(self):
        from engine.errors import KnowledgeError
        root = self.path.parent.parent
        try:
            kb = _kb(root)
        except KnowledgeError as exc:
            mine = [p for p in exc.problems if p.file and Path(p.file).resolve() == self.path.resolve()]
            yield KnowledgeLoadItem.from_parent(self, name="load", problems=mine or exc.problems[:5])
            return
        cases = [ci for ci in kb.cases if Path(ci.file).resolve() == self.path.resolve()]
        for ci in cases:
            yield CaseItem.from_parent(self, name=ci.case.name, info=ci)


class KnowledgeLoadItem(pytest.Item):
    def __init__(self, *, problems, **kw):
        super().__init__(**kw)
        self.problems = problems

    def runtest(self):
        raise CaseFailure("knowledge does not load:\n" + "\n".join(p.one_line() for p in self.problems))

    def repr_failure(self, excinfo):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, "load"


class CaseFailure(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, info, **kw):
        super().__init__(**kw)
        self.info = info

    def runtest(self):
        from engine.cases import run_case
        res = run_case(_kb(self.path.parent.parent), self.info)
        if res.failures:
            raise CaseFailure("\n".join(res.failures))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailure):
            return f"case '{self.info.case.name}' ({self.info.file}:{self.info.line}):\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, (self.info.line or 1) - 1, f"case: {self.info.case.name}"
