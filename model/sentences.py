"""Splitting wire copy into sentences: character spans, one regex pass, no dependencies.

Why not a general-purpose segmenter: pysbd (used until now) rescans the text once per known
abbreviation and took about a third of `predict_document`'s time. News copy needs few rules:
a sentence ends at ``. ! ?`` (plus closing quotes or brackets) before a space and a word that
does not start in lower case, except after a title ("Lt. Col. Smith"), an initial ("John F.
Kennedy"), a dotted acronym ("U.S. President"), a month ("Jan. 5") or a unit name followed by
another ("82nd Abn. Div."); a line break ends a sentence too (headlines, paragraphs).
"""

from __future__ import annotations

import re

# A candidate end: terminal punctuation, any closing quotes/brackets, then whitespace.
_END = re.compile(r"""[.!?\u2026]+["'\u2019\u201d)\]]*(?=\s)|\n""")
# Words after which a period is not a sentence end (compared lower-case, without the period).
_TITLES = frozenset("""
mr mrs ms dr prof gen lt col maj capt cpt sgt cpl pvt adm cmdr cdr brig gov sen rep rev hon pres supt insp det
st mt ft messrs mme mlle sr jr no nos vol fig approx dept
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())
_UNITS = frozenset("div bde bn regt abn inf coy sqn bty mech mtn arty cav flt wg".split())
_WORD_BEFORE = re.compile(r"""[\w.'\-]+$""")
_WORD_AFTER = re.compile(r"""\S+""")
# "U.S.", "U.N.", "E.U." (capitals with dots) and single initials ("F.")
_ACRONYM = re.compile(r"""^(?:[A-Z]\.)+$""")
_LIMIT = 2_000  # a run with no sentence end is cut into pieces of this many characters


def _is_end(text: str, pos: int, end: int) -> bool:
    """Whether the candidate text[pos:end] (punctuation, or a line break) ends a sentence."""
    if text[pos] == "\n":
        return True
    rest = text[end:].lstrip()
    if not rest:
        return True
    nxt = rest[0]
    if nxt.islower() or nxt in ",;:%)]":
        return False
    if text[pos] != "." or end - pos > 1 and text[pos:end].startswith(".."):
        return True  # ! ? and ellipses end a sentence before a capital
    before = _WORD_BEFORE.search(text, 0, pos + 1)
    word = before.group(0) if before else ""
    bare = word.rstrip(".").lower()
    if bare in _TITLES or _ACRONYM.match(word):
        return False
    if bare in _UNITS:
        after = _WORD_AFTER.match(rest)
        return not (after and after.group(0).rstrip(".").lower() in _UNITS)
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text`` (surrounding whitespace excluded).

    >>> t = 'KYIV (Reuters) - Lt. Col. Ivan Petrenko said U.S. troops left. "We are done," he said.'
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['KYIV (Reuters) - Lt. Col. Ivan Petrenko said U.S. troops left.', '"We are done," he said.']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if _is_end(text, m.start(), m.end()):
            _add(text, start, m.end(), spans)
            start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    piece = text[a:b]
    core = piece.strip()
    if not core:
        return
    a += len(piece) - len(piece.lstrip())
    for k in range(0, len(core), _LIMIT):
        chunk = core[k : k + _LIMIT]
        spans.append((a + k, a + k + len(chunk.rstrip())))
