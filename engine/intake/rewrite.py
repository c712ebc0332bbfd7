"""``cpadvisor migrate``'s rewrite of a profile file in today's form: the upgrades of ``migrate`` applied to the
text itself (ruamel round trip: comments and key order kept), and the result validated like any profile."""
from __future__ import annotations

import copy
import io
from typing import Any

from ruamel.yaml import YAML

from cpadvisor.intake.labels import labels_of, normalise
from cpadvisor.intake.migrate import apply_unit_upgrade, move_in_place_flags, notice, unit_upgrades
from cpadvisor.intake.profiles import profile_from_text
from cpadvisor.knowledge.yamlio import loads


def migrate_text(text: str, file: str, kb: Any) -> tuple[str, list[str], list[str]]:
    """A YAML or JSON profile with its deprecated forms rewritten, old "already done" flags as ``measures_in_place``
    (ruamel round trip: comments and key order kept);
    the notices of what was rewritten; the notices that still stand (a retired attribute: nothing to rewrite, it
    is kept and decides nothing). The result is validated like any profile."""
    plain = loads(text, file).data  # the safe loader first: no tags, no aliases, sizes checked
    rt = YAML()
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    doc = rt.load(text)
    body = doc["profile"] if isinstance(doc, dict) and isinstance(doc.get("profile"), dict) else doc
    flat = copy.deepcopy(plain.get("profile", plain) if isinstance(plain, dict) else plain)
    if isinstance(flat, dict):
        normalise(flat, labels_of(kb))
    notes = []
    for i, up in unit_upgrades(flat.get("units") if isinstance(flat, dict) else None):
        unit = body["units"][i]
        apply_unit_upgrade(unit, up)
        notes.append(notice(i, unit, up))
    if isinstance(body, dict):
        notes += move_in_place_flags(body)  # an old "already done" flag written as what it means
    buf = io.StringIO()
    rt.dump(doc, buf)
    out = buf.getvalue() if notes else text  # nothing rewritten: the file stays as it was, byte for byte
    standing = profile_from_text(out, file, kb)._notices  # still a valid profile
    return out, notes, list(standing)
