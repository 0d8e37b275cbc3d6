"""How one spreadsheet cell of a maturity matrix reads, and how it is written back.

Spreadsheet exports lose structure: the SPMM's level-2 checklists arrive as one run-on line
("Level 1 completed Authority confidence in progress … by March 2025"), evidence bases as one
comma-separated cell, and some cells carry HTML markup such as ``<i>``. The readers here recover
the structure; the writers produce a cell that reads back to exactly the same thing, so an
export re-imports unchanged.
"""

from __future__ import annotations

import re

# Inline markup some exports carry; stripped to its text. Block tags become line breaks.
_INLINE_TAGS = re.compile(r"</?(?:i|b|em|strong|u|span|sup|sub|font)(?:\s[^<>]*)?/?>", re.I)
_BLOCK_TAGS = re.compile(r"</?(?:p|br|div|ul|ol|li)(?:\s[^<>]*)?/?>", re.I)

#: Characters that start a checklist line when a cell is written with explicit bullets.
BULLETS = ("•", "-", "*", "–", "▪", "◦")
BULLET = "•"

#: Words after which a capitalised word still belongs to the same item ("by March 2025").
FUNCTION_WORDS = frozenset(
    ("a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or")
    + ("per", "than", "that", "the", "to", "via", "with", "within", "without")
)

_SENTENCE_END = re.compile(r"[.!?](?:[\"')\]]*)(?:\s|$)")
_LOWER_WORD = re.compile(r"^[a-z][a-z'’-]*$")
_CAPITALISED = re.compile(r"^[A-Z]")
# A spreadsheet-formula escape written by exporters (and by ours): a quote before = + - @.
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@])")


def clean(raw: str | None) -> str:
    """The cell's text: markup stripped, line endings normalised, outer space trimmed."""
    if raw is None:
        return ""
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _BLOCK_TAGS.sub("\n", text)
    text = _INLINE_TAGS.sub("", text)
    text = _FORMULA_ESCAPE.sub("", text.strip())
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    # Collapse runs of blank lines (left by block tags) to a single paragraph break.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def _bullet_item(line: str) -> str | None:
    for mark in BULLETS:
        if line.startswith(mark) and (len(line) == len(mark) or line[len(mark)] in " \t"):
            return line[len(mark) :].strip()
    return None


def split_run_on(line: str) -> list[str]:
    """Splits a checklist whose line breaks were lost.

    A new item starts at a capitalised word that follows a lower-case word, unless that word is
    a short function word ("by March 2025", "in Leeds"): "Level 1 completed Authority confidence
    improving" → ["Level 1 completed", "Authority confidence improving"].
    """
    words = line.split()
    items: list[list[str]] = [[]]
    for word in words:
        previous = items[-1][-1] if items[-1] else None
        if (
            previous is not None
            and _CAPITALISED.match(word)
            and _LOWER_WORD.match(previous)
            and previous not in FUNCTION_WORDS
        ):
            items.append([])
        items[-1].append(word)
    return [" ".join(item) for item in items if item]


def read_descriptor(raw: str | None) -> tuple[str, list[str]]:
    """A level descriptor cell as (prose text, checklist criteria); both empty when blank.

    - lines starting with a bullet are criteria (any prose before them is the text);
    - several short lines, none of them a sentence, are criteria;
    - one line that is not a sentence and splits into several items (see `split_run_on`) is a
      checklist whose line breaks were lost;
    - anything else is prose.
    """
    text = clean(raw)
    if not text:
        return "", []
    lines = [line for line in text.split("\n") if line.strip()]
    bullets = [i for i, line in enumerate(lines) if _bullet_item(line) is not None]
    if bullets:
        first = bullets[0]
        prose = "\n".join(lines[:first])
        criteria = [_bullet_item(line) or line for line in lines[first:]]
        return prose, [item for item in criteria if item]
    if any(_is_sentence(line) for line in lines):
        return text, []
    if len(lines) > 1:
        return "", lines
    items = split_run_on(lines[0])
    if len(items) > 1:
        return "", items
    return text, []


def write_descriptor(text: str, criteria: list[str] | tuple[str, ...]) -> str:
    """The cell for a descriptor: plain lines where they read back the same, else bullets."""
    text = (text or "").strip()
    criteria = [c.strip() for c in criteria or [] if c and c.strip()]
    if not criteria:
        return text
    if not text:
        plain = "\n".join(criteria)
        if read_descriptor(plain) == ("", criteria):
            return plain
    bulleted = "\n".join(f"{BULLET} {item}" for item in criteria)
    return f"{text}\n{bulleted}" if text else bulleted


def _split_top_level_commas(line: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in line:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def read_evidence(raw: str | None) -> list[str]:
    """An evidence-base cell as its evidence types.

    One line is split at commas outside parentheses ("budget monitoring reports (capital and
    revenue), contract performance reports" → 2 types); several lines are one type each.
    """
    text = clean(raw)
    if not text:
        return []
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1 or _bullet_item(lines[0]) is not None:
        items = [_bullet_item(line) or line for line in lines]
    else:
        items = _split_top_level_commas(lines[0])
    return [re.sub(r"\s+", " ", item).strip() for item in items if item.strip()]


def write_evidence(names: list[str] | tuple[str, ...]) -> str:
    """The evidence-base cell: comma-separated as in the source, or one bulleted line per type
    where that is the only way the names read back unchanged (a name with a comma in it)."""
    names = [n.strip() for n in names if n and n.strip()]
    joined = ", ".join(names)
    if read_evidence(joined) == names:
        return joined
    return "\n".join(f"{BULLET} {name}" for name in names)
