"""The words of an open poll's answers, as the projector's word cloud shows them.

Words of three letters or more, case folded, the common words of the session's language dropped,
a profanity list masked, each counted once per learner however often they wrote it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable

MIN_LETTERS = 3
TOP = 40  # the cloud shows this many words at most
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# Common words of each supported language, three letters or more (shorter ones never count anyway).
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and for are but not you all any can had her was one our out has him his how its may new now "
        "see two way who did get let say she too use that with have this will your from they know want "
        "been good much some time very when come here just like long make many more only over such take "
        "than them well were what into also then there their these those would could should about after "
        "again being because before both each few most other same does doing just own while which whom "
        "why yours ours myself itself i'm it's don't dont really think things thing".split()
    ),
    "es": frozenset(
        "que los las del por con una para como más pero sus les este esta esto ese esa eso son fue ser "
        "hay muy sin sobre también hasta donde quien desde todo todos nos ella ellos tiene tengo porque "
        "cuando entre algo estar mis tus".split()
    ),
    "fr": frozenset(
        "les des une est pas que qui dans pour par sur avec plus tout mais ont son ses aux elle nous vous "
        "ils sont été être avoir fait comme leur cette ces mes tes qu'il c'est j'ai très bien aussi".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ein eine einen dem den des mit sich auf für von sie ich wir ihr auch "
        "als wie aus bei nach oder aber wenn noch nur sind war hat haben wird werden kann mehr schon sehr "
        "dass über zum zur".split()
    ),
    "pt": frozenset(
        "que não uma para com por mais dos das como mas foi ele ela são seu sua nos já está também "
        "muito quando isso esse essa este esta tem ter pelo pela sem até ser".split()
    ),
}

# Masked wherever they appear, in every language: the projector faces a room.
PROFANITY = frozenset(
    "fuck fucking fucked shit shitty bullshit bitch bastard asshole arse dick cunt crap damn piss wanker "
    "mierda puta puto joder coño cabrón merde putain connard salope scheiße scheisse arschloch fick "
    "caralho porra foda merda".split()
)


def mask(word: str) -> str:
    """A profane word as the room sees it: its first letter, then asterisks."""
    return word[0] + "*" * (len(word) - 1)


def words_of(text: str, language: str = "en") -> set[str]:
    """The distinct words of one answer that count: 3+ letters, folded, not a common word, profanity masked."""
    stop = STOP_WORDS.get((language or "en").split("-")[0].lower(), STOP_WORDS["en"])
    found = set()
    for match in _WORD.finditer(text.casefold()):
        word = match.group().replace("’", "'")
        if len(word) < MIN_LETTERS or word in stop:
            continue
        found.add(mask(word) if word in PROFANITY else word)
    return found


def cloud(answers: Iterable[tuple[Hashable, str]], language: str = "en", top: int = TOP) -> list[dict]:
    """[{word, count}] over (learner, text) pairs: a word counts once per learner; most frequent first."""
    per_learner: dict[Hashable, set[str]] = {}
    for learner, text in answers:
        per_learner.setdefault(learner, set()).update(words_of(text or "", language))
    counts = Counter(word for words in per_learner.values() for word in words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"word": word, "count": count} for word, count in ranked[:top]]
