"""A short replay (bench/bench_replay.py) through the real API, worker and commands: it runs,
decides what it should and leaves the site without decisions as the base models score it."""

from __future__ import annotations

from bench.bench_replay import replay

FINE = "Thanks for the report on {}, the council should publish the figures."
ABUSIVE = "You are a pathetic idiot and a moron, shut up about {}."
TOPICS = ("the bridge", "the budget", "the match", "the school", "the tram", "the park")


def rows(count: int) -> list[dict]:
    out = []
    for i in range(count):
        abusive = i % 3 == 0
        text = (ABUSIVE if abusive else FINE).format(f"{TOPICS[i % len(TOPICS)]} {i}")
        out.append({"text": text, "labels": {"toxicity": int(abusive), "insult": int(abusive)}})
    return out


def test_a_short_replay_runs_and_reports() -> None:
    result = replay("synthetic", decisions=30, future=40, rows=rows(100))
    assert 0 < sum(result["decisions"].values()) <= 30
    assert result["decisions"]["reject"] > 0  # the insults were held, then rejected
    # Too few decisions for a layer: refused, saying why; the future is scored as shipped.
    assert result["learning"]["trained"] is False and "at least" in result["learning"]["error"]
    assert result["quiet_site_unaffected"] is True
    future = result["future"]
    assert future["comments"] == 40 and future["fine_held"]["difference"] == 0
