"""Sentences around the sound: comparisons, the artist's history, production, lyrics, release context.

These carry most of the corpus's hazards for a sentence splitter (initials, ``U.S.``, ``No. 9``,
``vs.``, ``Dr.``, ``St.``, quoted lyrics, parentheses), each inside a sentence, never at its end.
Each function takes the review's ``Writer`` and returns one unfinished sentence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewgen.data.synthetic.lexicon import (
    LYRIC_KEPT,
    LYRIC_OBJECTS,
    LYRIC_SUBJECTS,
    LYRIC_TAILS,
    LYRIC_VERBS,
    MONTHS,
    NAME_NOUNS,
    SOUND_VERBS_TRANSITIVE,
    TOPICS,
)
from reviewgen.data.synthetic.phrases import agree, possessive, verb_form, was, with_article

if TYPE_CHECKING:
    from reviewgen.data.synthetic.grammar import Writer

_NUMBERS = ("two", "three", "four", "five", "six")
_CAREERS = (
    "spent {n} years on the {city} club circuit", "built a following with {n} self-released EPs",
    "started out as a {genre} covers act", "played {n} shows a week in {city} bars",
    "toured with {other} before anyone knew the name", "released a string of singles on {label}",
)
_SINCE = (
    "grown into {a_adj} live act", "shed most of the {genre} roots", "toured with {other}",
    "changed labels twice", "lost a drummer and found a sound", "played almost every city in the country",
)


def _fill(w: Writer, pattern: str) -> str:
    """Fill a career pattern, drawing only what it uses so unused slots cost no random draws."""
    a, rng = w.artist, w.rng
    other = w.other() if "{other}" in pattern else ""
    a_adj = with_article(w.d.adj()) if "{a_adj}" in pattern else ""
    return pattern.format(n=rng.choice(_NUMBERS), city=a.city, genre=a.genre, other=other, label=a.label,
                          a_adj=a_adj)


def comparison(w: Writer) -> str:
    rng, d, a = w.rng, w.d, w.artist
    shape = w.shape("comparison", 7)
    if shape == 0:
        how = rng.choice(("covering", "remixing", "jamming with", "trying to outplay"))
        more = f"more {d.adj()}" if rng.random() < 0.5 else f"with more {d.noun()}"
        first, second = w.others(2)
        return f"It sounds like {first} {how} {second}, only {more}"
    if shape == 1:
        first, second = w.others(2)
        return f"Fans of {first} and {second} will find plenty to " \
               f"{rng.choice(('love', 'like', 'chew on', 'argue about'))} here"
    if shape == 2:
        via = rng.choice(("filtered through", "played at half speed by", "as remixed by", "covered by"))
        meets = "vs." if rng.random() < 0.35 else "meets"
        first, second, third = w.others(3)
        return f"Think {first} {meets} {second}, {via} {third}"
    if shape == 3:
        big = rng.choice(("go big", "add another chorus", "reach for the strings", "double the tempo"))
        pick, _ = w.ph.np(definite=False, depth=1)
        return f"Where {w.other()} would {big}, {a.name} {agree('opt', a.plural)} for {pick} instead"
    if shape == 4:
        noun, plural = w.ph.sound_noun()
        other = w.other()
        return f"The {noun} {agree('owe', plural)} an obvious debt to {other}, especially " \
               f"{possessive(other)} {rng.randint(1995, 2020)} record {w.names.plain_title()}"
    if shape == 5:
        other = w.other()
        return f"Comparisons to {other} are inevitable, but {a.name} {agree('sound', a.plural)} " \
               f"more {d.adj()} than {other} ever did"
    first, _ = w.ph.sound_noun(True)
    return f"{a.name} {agree('come', a.plural)} out of the same {a.city} scene as {w.other()}, and the two " \
           f"share a taste for {d.adj()} {first}"


def history(w: Writer) -> str:
    rng, a = w.rng, w.artist
    solo = len(a.members) == 1
    shape = w.shape("history", 6)
    if shape == 0:
        lead = f"Born and raised in {a.city}" if solo else f"Formed in {a.city} in {a.formed}"
        return f"{lead}, {a.name} {_fill(w, rng.choice(_CAREERS))}"
    if shape == 1 and not solo:
        person, role = rng.choice(a.members)
        before = rng.choice((f"spent a decade in {w.other()}", f"moved over from {w.names.city()}",
                             "taught guitar for years", f"played in {w.other()}"))
        does = rng.choice(("is the secret weapon here", f"gives the {w.ph.sound_noun(False)[0]} its edge",
                           f"wrote most of the {w.ph.sound_noun(True)[0]}", "steals the show"))
        return f"{role.capitalize()} {person.name}, who {before} before joining in " \
               f"{rng.randint(a.formed, a.formed + 6)}, {does}"
    if shape == 2:
        reception = rng.choice(("it found a small but loyal audience", "it barely sold",
                                "it made a few year-end lists", f"it still sounds {w.d.adj()} today"))
        their = w.their()
        return f"{their[0].upper()}{their[1:]} debut, {a.albums[0]}, came out on {a.label} in " \
               f"{a.formed + 1}, and {reception}"
    if shape == 3:
        who, plural = w.subject()
        since = _fill(w, rng.choice(_SINCE))
        tour = rng.choice(("U.S. tour", "headline tour", "European tour", "tour", "tour"))
        return f"Since {w.their()} first {tour} in {a.formed + rng.randint(1, 4)}, {who} " \
               f"{agree('have', plural)} {since}"
    if shape == 4 and not solo:
        then = rng.choice(("a trio", "a duo", "a four-piece", "a bedroom project", "a studio project"))
        return f"The band (then {then}) {_fill(w, rng.choice(_CAREERS))}"
    doing = rng.choice((f"opening for {w.other()}", f"playing {a.city} basements",
                        f"busking outside {w.names.word()} station", "making beats in a bedroom"))
    return f"Back in {a.formed}, {a.name} {was(a.plural)} {doing}"


def production(w: Writer) -> str:
    rng, d, ph, t = w.rng, w.d, w.ph, w.track
    shape = w.shape("production", 6)
    if shape == 0:
        return f"The production, by {t.producer.name} (who also worked with {w.other()}), is {d.adjs(2)}"
    if shape == 1:
        noun, plural = ph.sound_noun()
        described = f"{d.adj()} {noun}"
        return f"Recorded at {t.studio} in {w.artist.city}, the track has " \
               f"{described if plural else with_article(described)} that {ph.vp(plural, depth=1)}"
    if shape == 2:
        front, _ = ph.np(depth=1)
        obj, _ = ph.np(depth=1)
        where = rng.choice(("front and centre", "up front", "far back", "slightly off to one side"))
        return f"The production puts {front} {where}, {verb_form(rng.choice(SOUND_VERBS_TRANSITIVE), 'VBG')} {obj}"
    if shape == 3:
        target, _ = ph.np(depth=1)
        how = rng.choice(("recorded it live to tape", "tracked it in two days", "cut it in one take",
                          "built it on an old laptop"))
        return f"{t.producer.name} {how}, and you can hear it in {target}"
    if shape == 4 and rng.random() < 0.4:
        title = rng.choice(("Dr.", "Mr."))
        job = rng.choice(("engineer", "mixer", "producer", "session drummer"))
        return f"The mix comes courtesy of {title} {w.names.word()}, {w.artist.city}'s most in-demand {job}"
    kept, _ = ph.sound_noun()
    verb = rng.choice(("mixed", "mastered", "engineered"))
    keeping = f"keeping the {kept} {d.adj()}" if rng.random() < 0.5 else f"giving the {kept} real {d.noun()}"
    return f"{t.producer.name} {verb} the {w.song()} {d.adv()}, {keeping}"


def lyric(w: Writer) -> str:
    """A line of lyrics, with subject-verb agreement and an occasional past tense."""
    rng = w.rng
    subject = rng.choice(LYRIC_SUBJECTS)
    lemma = rng.choice(LYRIC_VERBS)
    if rng.random() < 0.3:
        verb = verb_form(lemma, "VBD")
    else:
        verb = agree(lemma, subject not in ("nobody", "everyone"))
    kept = lemma in ("keep", "leave") and rng.random() < 0.5
    obj = rng.choice(LYRIC_KEPT if kept else LYRIC_OBJECTS)
    return f"{subject} {verb} {obj}{rng.choice(LYRIC_TAILS)}"


def lyrics(w: Writer) -> str:
    rng, d = w.rng, w.d
    shape = w.shape("lyrics", 6)
    if shape == 0:
        who, plural = w.subject()
        verb = agree(rng.choice(("circle", "return to", "dwell on", "write about")), plural)
        how = rng.choice(("never quite naming names", "mixing jokes with confessions",
                          "keeping the details vague", "with a novelist's eye"))
        return f"Lyrically, {who} {verb} {rng.choice(TOPICS)}, {how}"
    if shape == 1:
        return f'When {w.singer()} sings "{lyric(w)}," {w.ph.clause(depth=1)}'
    if shape == 2:
        part = rng.choice(("first", "second", "last"))
        return f'The {part} verse ("{lyric(w)}") is {d.adj()}; the chorus is {d.adj()}'
    if shape == 3:
        over, _ = w.ph.np(definite=False, depth=1)
        verb = agree(rng.choice(("sing", "repeat", "insist", "mutter")), False)
        line = lyric(w)
        return f'"{line[0].upper()}{line[1:]}," {w.singer()} {verb} over {over}'
    if shape == 4:
        if rng.random() < 0.5:
            return f"The lyrics, about {rng.choice(TOPICS)}, are full of {d.noun()}"
        return f"The lyrics, about {rng.choice(TOPICS)}, are {d.adj()} but never {d.adj()}"
    line = lyric(w)
    return f'One line stands out: "{line[0].upper()}{line[1:]}"'


def context(w: Writer) -> str:
    rng, a = w.rng, w.artist
    shape = w.shape("context", 4)
    if shape == 0:
        chart = rng.choice(("U.S.", "UK", "Canadian", "Australian", "Irish"))
        tail = rng.choice(("", "", f", {w.their()} highest placing yet", " in its first week"))
        place = f"No. {rng.randint(1, 99)}" if rng.random() < 0.5 else f"the top {rng.choice((10, 20, 40))}"
        verb = "reached" if place.startswith("the") else rng.choice(("peaked at", "debuted at"))
        return f"The single {verb} {place} on the {chart} {a.genre} chart{tail}"
    if shape == 1:
        gap = rng.choice(("two years", "eighteen months", "three years", "barely a year", "five years"))
        fate = rng.choice(("went largely unnoticed", "made the name", "divided fans", "topped a few lists"))
        return f"It {rng.choice(('arrives', 'comes'))} {gap} after {a.albums[-1]}, which {fate}"
    if shape == 2:
        doing = rng.choice(("wandering around", "driving through", "getting lost in", "dancing across"))
        return f"The video, directed by {w.names.person().name}, {agree('follow', False)} {a.name} " \
               f"{doing} {w.names.city()}"
    venue = rng.choice((f"the {rng.choice(NAME_NOUNS)} Club", f"the {rng.choice(NAME_NOUNS)} Theatre",
                        f"the {w.names.word()} Ballroom"))
    return f"{a.name} {agree('play', a.plural)} {venue} in {w.names.city()} on {rng.choice(MONTHS)} " \
           f"{rng.randint(1, 28)}, with {w.other()} in support"
