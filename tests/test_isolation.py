"""Nothing leaks between assessments: interleaved, repeated, or from two threads."""
from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpadvisor.authoring.cases import case_profile
from cpadvisor.advisor import assess


def signature(a) -> list[tuple]:
    return sorted((f.measure_id, f.status, tuple(sorted(f.units)), tuple(sorted(f.missing))) for f in a.findings)


def _profiles(kb) -> list[dict]:
    return [case_profile(ci) for ci in kb.cases]


def test_case_profiles_available(kb):
    assert len(_profiles(kb)) > 100


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_interleaved_equals_alone(kb, data):
    pool = _profiles(kb)
    a, b = data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))
    alone_a, alone_b = signature(assess(a, kb=kb)), signature(assess(b, kb=kb))
    pattern = data.draw(st.lists(st.sampled_from("ab"), min_size=2, max_size=8))
    for who in pattern:
        got = signature(assess(a if who == "a" else b, kb=kb))
        assert got == (alone_a if who == "a" else alone_b)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_two_threads_equal_alone(kb, data):
    pool = _profiles(kb)
    a, b = data.draw(st.sampled_from(pool)), data.draw(st.sampled_from(pool))
    expected = {"a": signature(assess(a, kb=kb)), "b": signature(assess(b, kb=kb))}
    results: dict[str, list] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(key: str, prof: dict) -> None:
        try:
            for _ in range(12):
                results[key].append(signature(assess(prof, kb=kb)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k, p)) for k, p in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for key in ("a", "b"):
        assert len(results[key]) == 12 and all(r == expected[key] for r in results[key])
