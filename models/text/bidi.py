"""Bidirectional controls: the text they reorder put in the order a reader sees, controls dropped.

"you \\u202etoidi\\u202c" is stored as "toidi" but shown as "idiot": the right-to-left override
(RLO ... PDF) displays its run backwards. Dropping the invisible controls is not enough; the run
must be read the way it is shown. :func:`reading_order` runs the explicit and implicit steps of
the Unicode Bidirectional Algorithm (UAX #9: embeddings, overrides and isolates nested up to
depth 125, weak and neutral types, levels, then reordering by levels, per paragraph), then puts
every run of naturally right-to-left text (Hebrew, Arabic, not overridden) back in its logical
order, which is the order its readers read. So Latin text that an override or an embedding
displays backwards comes out in the order it is seen, and genuine right-to-left text is unchanged.

Simplifications, none of which changes the order of Latin letters: level runs are resolved one
by one (isolating run sequences are not joined across an isolate), and bracket pairs (N0) are
not matched. Text without an embedding, override or isolate control comes back untouched.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["reading_order"]

# Embeddings, overrides, their pop, isolates and their pop. The marks (LRM, RLM, ALM) reorder
# nothing by themselves and are dropped with the other format characters.
_EXPLICIT = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EMBEDDINGS = {"LRE": ("L", None), "RLE": ("R", None), "LRO": ("L", "L"), "RLO": ("R", "R")}
_ISOLATES = frozenset({"LRI", "RLI", "FSI"})
_NEUTRAL = frozenset({"B", "S", "WS", "ON", "BN", "LRI", "RLI", "FSI", "PDI"})
_STRONG = frozenset({"L", "R", "AL"})
# What rule L1 returns to the paragraph's level at the end of a line.
_TRAILING = frozenset({"WS", "S", "BN", "LRI", "RLI", "FSI", "PDI"})
MAX_DEPTH = 125


def _next_level(level: int, direction: str) -> int:
    return (level + 1) | 1 if direction == "R" else (level + 2) & ~1


def _first_strong(classes: list[str], start: int) -> str | None:
    """The first strong type from ``start`` to the end, skipping isolates (P2), or None."""
    depth = 0
    for cls in classes[start:]:
        if cls in _ISOLATES:
            depth += 1
        elif cls == "PDI":
            if depth == 0:
                return None
            depth -= 1
        elif depth == 0 and cls in _STRONG:
            return "R" if cls == "AL" else cls
    return None


def _explicit(classes: list[str], base: int) -> tuple[list[int | None], list[bool]]:
    """Rules X1-X9: each character's embedding level (None: a control removed), overridden or not.

    ``classes`` is rewritten in place: overridden characters become L or R, isolate controls ON.
    """
    levels: list[int | None] = [None] * len(classes)
    overridden = [False] * len(classes)
    stack: list[tuple[int, str | None, bool]] = [(base, None, False)]
    overflow_isolates = overflow_embeddings = valid_isolates = 0
    for k, cls in enumerate(classes):
        level, override, _ = stack[-1]
        if cls in _EMBEDDINGS:
            direction, forced = _EMBEDDINGS[cls]
            new = _next_level(level, direction)
            if new <= MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                stack.append((new, forced, False))
            elif not overflow_isolates:
                overflow_embeddings += 1
        elif cls in _ISOLATES:
            levels[k], classes[k] = level, "ON"
            if cls == "FSI":
                cls = "RLI" if _first_strong(classes, k + 1) == "R" else "LRI"
            new = _next_level(level, cls[0])
            if new <= MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                valid_isolates += 1
                stack.append((new, None, True))
            else:
                overflow_isolates += 1
        elif cls == "PDI":
            if overflow_isolates:
                overflow_isolates -= 1
            elif valid_isolates:
                overflow_embeddings = 0
                while not stack[-1][2]:
                    stack.pop()
                stack.pop()
                valid_isolates -= 1
            levels[k], classes[k] = stack[-1][0], "ON"
        elif cls == "PDF":
            if overflow_isolates:
                pass
            elif overflow_embeddings:
                overflow_embeddings -= 1
            elif not stack[-1][2] and len(stack) > 1:
                stack.pop()
        else:
            levels[k] = level
            if override is not None:
                classes[k], overridden[k] = override, True
    return levels, overridden


def _weak(run: list[str], sos: str) -> None:
    """Rules W1-W7 on one level run, in place."""
    previous, strong = sos, sos
    for i, cls in enumerate(run):
        if cls == "NSM":
            run[i] = cls = previous  # W1
        if cls == "EN" and strong == "AL":
            run[i] = cls = "AN"  # W2
        if cls in _STRONG:
            strong = cls
        previous = cls
    for i, cls in enumerate(run):
        if cls == "AL":
            run[i] = "R"  # W3
    for i in range(1, len(run) - 1):  # W4
        before, after = run[i - 1], run[i + 1]
        if run[i] == "ES" and before == after == "EN":
            run[i] = "EN"
        elif run[i] == "CS" and before == after and before in {"EN", "AN"}:
            run[i] = before
    for i, cls in enumerate(run):  # W5: European terminators next to a European number
        if cls == "ET":
            j = i
            while j < len(run) and run[j] == "ET":
                j += 1
            if (i > 0 and run[i - 1] == "EN") or (j < len(run) and run[j] == "EN"):
                run[i:j] = ["EN"] * (j - i)
    strong = sos
    for i, cls in enumerate(run):
        if cls in {"ES", "ET", "CS"}:
            run[i] = "ON"  # W6
        elif cls == "EN" and strong == "L":
            run[i] = "L"  # W7
        elif cls in {"L", "R"}:
            strong = cls


def _neutral(run: list[str], sos: str, eos: str, embedding: str) -> None:
    """Rules N1-N2 on one level run, in place: neutrals take the direction around them."""
    i = 0
    while i < len(run):
        if run[i] not in _NEUTRAL:
            i += 1
            continue
        j = i
        while j < len(run) and run[j] in _NEUTRAL:
            j += 1
        before = sos if i == 0 else ("L" if run[i - 1] == "L" else "R")
        after = eos if j == len(run) else ("L" if run[j] == "L" else "R")
        run[i:j] = [before if before == after else embedding] * (j - i)
        i = j


def _implicit(kept: list[int], classes: list[str], levels: list[int], base: int) -> None:
    """Rules W, N and I over each run of kept characters on one level; ``levels`` in place."""
    start = 0
    while start < len(kept):
        level = levels[kept[start]]
        end = start
        while end < len(kept) and levels[kept[end]] == level:
            end += 1
        before = levels[kept[start - 1]] if start else base
        after = levels[kept[end]] if end < len(kept) else base
        sos = "R" if max(level, before) % 2 else "L"
        eos = "R" if max(level, after) % 2 else "L"
        run = [classes[k] for k in kept[start:end]]
        _weak(run, sos)
        _neutral(run, sos, eos, "R" if level % 2 else "L")
        for k, cls in zip(kept[start:end], run, strict=True):
            if level % 2 == 0:
                levels[k] = level + (1 if cls == "R" else 2 if cls in {"AN", "EN"} else 0)
            elif cls in {"L", "EN", "AN"}:
                levels[k] = level + 1
        start = end


def _reorder(kept: list[int], levels: list[int]) -> list[int]:
    """Rule L2: from the highest level to the lowest odd one, reverse every run at that level or
    above."""
    order = list(kept)
    if not order:
        return order
    highest = max(levels[k] for k in order)
    lowest_odd = min(levels[k] for k in order) | 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            i = j
    return order


def _paragraph(text: str, start: int, end: int) -> list[int]:
    """The indices of ``text[start:end]`` (one paragraph) in reading order, controls left out."""
    classes = [unicodedata.bidirectional(ch) or "L" for ch in text[start:end]]
    originals = list(classes)
    base = 1 if _first_strong(classes, 0) == "R" else 0
    explicit, overridden = _explicit(classes, base)
    kept = [k for k, level in enumerate(explicit) if level is not None]
    levels = [base if level is None else level for level in explicit]
    _implicit(kept, classes, levels, base)
    # L1: whitespace at the end of the paragraph goes back to the paragraph's level.
    for k in reversed(kept):
        if unicodedata.bidirectional(text[start + k]) not in _TRAILING:
            break
        levels[k] = base
    visual = _reorder(kept, levels)
    natural = [
        level % 2 == 1 and (not forced or original in {"R", "AL"})
        for level, forced, original in zip(levels, overridden, originals, strict=True)
    ]
    return [start + k for k in _read(visual, natural, base)]


def _read(visual: list[int], natural: list[bool], base: int) -> list[int]:
    """Visual order to reading order: runs shown right to left by nature (Hebrew, Arabic) back to
    their logical order; in a right-to-left paragraph, the runs are read from the right."""
    runs: list[list[int]] = []
    i = 0
    while i < len(visual):
        j = i
        while j < len(visual) and natural[visual[j]] == natural[visual[i]]:
            j += 1
        runs.append(visual[i:j][::-1] if natural[visual[i]] else visual[i:j])
        i = j
    if base % 2:
        runs.reverse()
    return [k for run in runs for k in run]


def reading_order(text: str) -> tuple[str, list[int] | None]:
    """``text`` in the order a reader sees it, without its embedding and override controls, and
    for each character the index in ``text`` it came from; ``(text, None)`` if nothing changes.

    Paragraph separators (newlines) stay where they are: the algorithm runs per paragraph.
    """
    if not _EXPLICIT.search(text):
        return text, None
    order: list[int] = []
    start = 0
    for i, ch in enumerate(text):
        if unicodedata.bidirectional(ch) == "B":
            order += _paragraph(text, start, i)
            order.append(i)
            start = i + 1
    order += _paragraph(text, start, len(text))
    return "".join(text[i] for i in order), order
