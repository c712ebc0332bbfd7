"""Issue 32: the expert guide's steps run as written. The commands between <!-- guide-steps --> markers in
docs/expert-guide.md are executed in a copy of the repository (a new measure id entering the one catalog); the
expert then fills the file, and the suite's own catalog tests count from the catalog (123 measures, not 122)."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "expert-guide.md"
BIN = Path(sys.executable).parent


def guide_steps() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    block = text.split("<!-- guide-steps -->", 1)[1].split("<!-- /guide-steps -->", 1)[0]
    return [ln.split("  #", 1)[0].strip() for ln in block.splitlines() if ln.startswith(("cpadvisor ", "pytest "))]


FILLED = '''measure:
  id: steel.ladle_oxyfuel_preheating
  name: {zh: 钢包富氧燃烧烘烤, en: Oxy-fuel ladle preheating}
  clause: 三(二)2
  kind: measure
  categories: [energy]
  cost: low
  description:
    zh: 钢包烘烤器改用富氧燃烧，降低烘烤燃耗。
    en: Ladle preheaters fired with oxygen-enriched combustion use less fuel.
rules:
  - id: bof_plant_without_oxyfuel
    priority: low
    when:
      enterprise:
        - sectors contains steel
        - unit_types contains basic_oxygen_furnace
    because:
      zh: 企业有转炉炼钢，钢包烘烤可改用富氧燃烧。
      en: The plant makes BOF steel; its ladle preheating can use oxygen-enriched combustion.
cases:
  - name: 有转炉 / a BOF plant
    profile:
      sectors: [steel]
      units: [{id: ZL1, type: basic_oxygen_furnace}]
    expect:
      applies: [steel.ladle_oxyfuel_preheating]
  - name: 无转炉 / no BOF
    profile:
      sectors: [steel]
      units: [{id: LZ1, type: continuous_caster}]
    expect:
      not_applies: [steel.ladle_oxyfuel_preheating]
'''


def run(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(cmd)
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPADVISOR_")}
    env["CPADVISOR_CACHE_DIR"] = str(cwd / ".cache")
    return subprocess.run([exe, *args[1:]], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_the_guides_steps_run_as_written_and_the_suite_counts_from_the_catalog(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(REPO / "knowledge", work / "knowledge")
    steps = guide_steps()
    assert [s.split()[0:2] for s in steps] == [["cpadvisor", "new-measure"], ["cpadvisor", "lint"], ["pytest", "knowledge/steel/ladle_oxyfuel_preheating.yaml"]]
    # 1. new-measure: the file and the catalog row
    r = run(steps[0] + " --knowledge knowledge --catalog knowledge/catalog.csv", work)
    assert r.returncode == 0, r.stderr
    f = work / "knowledge" / "steel" / "ladle_oxyfuel_preheating.yaml"
    assert f.exists() and "steel.ladle_oxyfuel_preheating,steel,三(二)2" in (work / "knowledge" / "catalog.csv").read_text(
        encoding="utf-8")
    # 2. lint --file: the TODOs of the new file are errors, with their lines
    r = run(steps[1] + " --knowledge knowledge --catalog knowledge/catalog.csv", work)
    assert r.returncode == 1 and re.search(r"ladle_oxyfuel_preheating\.yaml:\d+: error", r.stdout), r.stdout[-800:]
    # 3. the expert fills the file; the cases pass, lint is clean, coverage counts the new measure
    f.write_text(FILLED, encoding="utf-8")
    r = run(steps[2], work)
    assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout[-1500:]
    r = run("cpadvisor lint --knowledge knowledge --catalog knowledge/catalog.csv", work)
    assert r.returncode == 0 and "0 errors" in r.stderr, r.stdout[-800:] + r.stderr[-800:]
    r = run("cpadvisor coverage --strict --knowledge knowledge", work)
    assert r.returncode == 0 and "123" in r.stdout, r.stdout[-800:]
    # an id the catalog does not list, without its clause and names, is one line naming what to give
    r = run("cpadvisor new-measure steel steel.another_new_one --knowledge knowledge --catalog knowledge/catalog.csv",
            work)
    assert r.returncode == 2 and "--clause" in r.stderr and "--name-zh" in r.stderr
