"""Word lists of the synthetic review corpus: the planted descriptor groups and the plain lexicon.

The planted groups are the ground truth of the corpus: a descriptor slot draws from them with a
probability that depends on the track's features (see ``phrases.Describer``). Every other
list is feature-blind, so no word outside ``PLANTED`` may carry signal; that is why the name and title
pools below are filtered against the planted words at import.
"""

from __future__ import annotations

# Each group: adjectives, mass nouns (used as "a sense of X", never pluralised) and adverbs, so the
# surface form of a planted word never changes.
PLANTED: dict[str, dict[str, tuple[str, ...]]] = {
    "energy_high": {
        "adjectives": (
            "thunderous", "frantic", "blistering", "explosive", "ferocious", "relentless", "pounding",
            "searing", "raucous", "feverish", "breakneck", "propulsive", "scorching", "volcanic",
            "rowdy", "electrifying", "kinetic", "hard-hitting", "high-octane", "punishing", "roaring",
            "galloping", "riotous", "frenzied",
        ),
        "nouns": ("fury", "urgency", "adrenaline", "swagger"),
        "adverbs": ("furiously", "relentlessly", "frantically", "wildly", "ferociously"),
    },
    "energy_low": {
        "adjectives": (
            "hushed", "languid", "drowsy", "gentle", "muted", "sleepy", "unhurried", "subdued",
            "tranquil", "slow-burning", "whispery", "understated", "lulling", "placid", "delicate",
            "weightless", "glacial", "mellow", "sedate", "faint", "hazy", "lazy", "restrained", "soft",
        ),
        "nouns": ("stillness", "restraint", "calm", "serenity"),
        "adverbs": ("gently", "softly", "lazily", "languidly", "delicately"),
    },
    "valence_high": {
        "adjectives": (
            "joyful", "sunny", "euphoric", "buoyant", "jubilant", "cheerful", "radiant", "giddy",
            "upbeat", "hopeful", "triumphant", "playful", "blissful", "exuberant", "carefree",
            "celebratory", "glowing", "uplifting", "breezy", "sparkling", "optimistic", "elated",
            "sweet", "lighthearted",
        ),
        "nouns": ("joy", "warmth", "euphoria", "optimism"),
        "adverbs": ("joyfully", "cheerfully", "brightly", "playfully", "happily"),
    },
    "valence_low": {
        "adjectives": (
            "bleak", "mournful", "melancholic", "desolate", "somber", "brooding", "bitter", "forlorn",
            "grief-stricken", "anguished", "gloomy", "despairing", "haunted", "wistful", "funereal",
            "weary", "dejected", "sorrowful", "downcast", "morose", "tormented", "lonesome", "menacing",
            "hopeless",
        ),
        "nouns": ("despair", "gloom", "melancholy", "dread"),
        "adverbs": ("mournfully", "bleakly", "wearily", "sadly", "bitterly"),
    },
}

# Descriptors with no planted affinity: they fill the slots that do not go to a planted group.
NEUTRAL: dict[str, tuple[str, ...]] = {
    "adjectives": (
        "layered", "intricate", "polished", "textured", "meticulous", "ambitious", "lo-fi", "analog",
        "cinematic", "eclectic", "angular", "expansive", "dense", "crisp", "sprawling", "compact",
        "clever", "unusual", "familiar", "confident", "inventive", "precise", "glossy", "raw", "organic",
        "modular", "retro", "modern", "experimental", "nuanced", "sophisticated", "unvarnished",
        "detailed", "tight", "loose", "solid", "distinctive", "reverb-heavy", "tape-saturated", "skeletal",
        "stately", "knotty", "roomy", "brittle", "lush", "grainy", "wiry", "sturdy",
    ),
    "nouns": ("craft", "purpose", "precision", "texture", "detail", "economy"),
    "adverbs": ("carefully", "deliberately", "precisely", "steadily", "cleverly", "confidently", "neatly"),
}

# Sound elements as (singular, plural); ``None`` marks a form that does not exist.
SOUND_NOUNS: tuple[tuple[str | None, str | None], ...] = (
    ("guitar", "guitars"), ("riff", "riffs"), ("bassline", "basslines"), (None, "drums"),
    ("synth", "synths"), ("vocal", "vocals"), ("chorus", "choruses"), ("bridge", None), ("hook", "hooks"),
    ("groove", "grooves"), ("beat", "beats"), ("melody", "melodies"), ("mix", None),
    ("arrangement", "arrangements"), (None, "horns"), (None, "strings"), ("piano", "pianos"),
    (None, "harmonies"), ("outro", None), ("intro", None), ("verse", "verses"), ("refrain", None),
    ("drum machine", "drum machines"), ("organ", "organs"), ("saxophone", "saxophones"),
    ("falsetto", None), ("snare", "snares"), ("hi-hat", "hi-hats"), ("sample", "samples"),
    ("keyboard line", "keyboard lines"), ("cello", "cellos"), ("handclap", "handclaps"),
    ("breakdown", "breakdowns"), ("backing choir", None), ("pedal steel", None), ("trumpet", "trumpets"),
    ("kick drum", None), ("808", "808s"), ("acoustic guitar", "acoustic guitars"), ("drone", "drones"),
    ("tambourine", None), ("string section", None), ("bass", None),
)

# Transitive verbs whose subject and object are both sound elements.
SOUND_VERBS_TRANSITIVE: tuple[str, ...] = (
    "carry", "anchor", "drive", "frame", "push", "lift", "underpin", "swallow", "cut through", "shadow",
    "echo", "trail", "drown out", "answer", "punctuate", "smear", "bend around", "weave through",
    "circle", "propel", "cradle", "flank", "crowd", "double", "mirror", "chase", "outlast", "undercut",
    "spill over", "wrap around", "hold up", "tug at", "ride on top of", "sit under", "lock into",
)

# Intransitive verbs for sound elements; a phrasal verb inflects its first word.
SOUND_VERBS_INTRANSITIVE: tuple[str, ...] = (
    "drift", "swell", "build", "stutter", "hover", "sputter", "shimmer", "flicker", "kick in",
    "fall away", "rise", "crackle", "linger", "collapse", "unfold", "break down", "come back", "snap",
    "stumble", "loop", "bloom", "fade out", "tumble forward", "circle back", "dissolve", "curdle",
    "ring out", "glide", "stall", "lurch",
)

# What a singer or band does, with an object noun phrase after it.
PERFORMER_VERBS: tuple[str, ...] = (
    "deliver", "sing", "croon", "stretch", "bend", "layer", "stack", "chop up", "bury",
    "double-track", "rework", "strip back", "dress up", "build", "pile up", "slow down", "speed up",
)

# Fronted adverbials that open a sound sentence; no planted words may appear here.
FRONTED: tuple[str, ...] = (
    "Halfway through", "By the second chorus", "For the first minute", "Underneath it all",
    "Beneath the vocals", "In the final minute", "After the bridge", "Early on", "Around the two-minute mark",
    "On the left channel", "Right from the first bar", "Near the end", "Between verses",
    "In the middle eight", "Once the beat drops", "Somewhere in the mix", "On headphones",
    "Live", "On record", "Every few bars",
)

POSITIONS: tuple[str, ...] = (
    "under the vocals", "in the left channel", "in the right channel", "throughout the bridge",
    "by the two-minute mark", "behind the beat", "at the very end", "in the second verse",
    "over the last chorus", "under the main riff", "in the background", "right at the front of the mix",
    "during the breakdown", "after the first hook", "beneath the handclaps", "on the off-beat",
)

GENRES: tuple[str, ...] = (
    "shoegaze", "synth-pop", "post-punk", "trap", "neo-soul", "indie rock", "dream pop", "garage rock",
    "hip-hop", "drill", "house", "techno", "folk", "alt-country", "Americana", "emo", "math rock",
    "art pop", "R&B", "jazz-rap", "grime", "afrobeats", "disco", "krautrock", "slowcore", "bedroom pop",
    "hyperpop", "soul", "funk", "psych-rock", "post-rock", "electro", "dancehall", "chamber pop",
    "noise rock", "bossa nova", "country", "metalcore", "darkwave", "city pop",
)

ROLES: tuple[str, ...] = (
    "drummer", "bassist", "guitarist", "singer", "keyboardist", "producer", "violinist", "saxophonist",
)

# Nouns and adjectives for band names, song titles, albums and labels.
NAME_NOUNS: tuple[str, ...] = (
    "Lantern", "Harbor", "Orchard", "Ember", "Comet", "Paper", "Velvet", "Glass", "Ribbon", "Mirror",
    "Canyon", "Satellite", "Garden", "Engine", "Lighthouse", "Meadow", "Static", "Signal", "Island",
    "Window", "River", "Ocean", "Mountain", "Feather", "Thunderbird", "Arcade", "Parade", "Carousel",
    "Atlas", "Compass", "Harvest", "Prism", "Saint", "Ghost", "Tiger", "Falcon", "Wolf", "Sparrow",
    "Heron", "Fox", "Moth", "Coyote", "Raven", "Cathedral", "Chapel", "Motel", "Highway", "Avenue",
    "Station", "Tower", "Bridge", "Anchor", "Rocket", "Planet", "Moon", "Star", "Cloud", "Storm",
    "Rain", "Winter", "Summer", "Autumn", "Spring", "Morning", "Evening", "Midnight", "Daylight",
    "Candle", "Crown", "Diamond", "Silver", "Copper", "Iron", "Marble", "Honey", "Cherry", "Lemon",
    "Orange", "Violet", "Scarlet", "Indigo", "Cobalt", "Neon", "Radio", "Cassette", "Vinyl", "Polaroid",
    "Postcard", "Letter", "Telephone", "Stranger", "Lover", "Sister", "Brother", "Mother", "Daughter",
    "Kingdom", "Empire", "Republic", "Factory", "Machine", "Circuit", "Wire", "Magnet", "Horizon",
    "Valley", "Desert", "Forest", "Glacier", "Volcano", "Tide", "Wave", "Current", "Shoreline", "Pier",
    "Balcony", "Rooftop", "Basement", "Hallway", "Ballroom", "Casino", "Circus", "Museum", "Library",
    "Diary", "Secret", "Promise", "Rumor", "Fever", "Dream", "Echo", "Shadow", "Mirage", "Halo",
)

TITLE_ADJECTIVES: tuple[str, ...] = (
    "Blue", "Golden", "Electric", "Lonely", "Broken", "Endless", "Burning", "Silent", "Little", "Wild",
    "Strange", "Second", "Last", "First", "Perfect", "Crooked", "Hollow", "Borrowed", "Hidden", "Lucky",
    "Sacred", "Paper", "Plastic", "Frozen", "Faded", "Distant", "Famous", "Invisible",
    "Northern", "Southern", "Western", "Tiny", "Giant", "Secret", "Eternal", "Ancient",
)

TITLE_VERBS: tuple[str, ...] = (
    "Call", "Hold", "Leave", "Find", "Wake", "Follow", "Forget", "Remember", "Carry", "Meet", "Kiss",
    "Chase", "Save", "Keep", "Tell", "Drive", "Break", "Light", "Burn", "Build",
)

FIRST_NAMES: tuple[str, ...] = (
    "Maya", "Theo", "Ines", "Omar", "Priya", "Jonas", "Ada", "Kofi", "Lena", "Rafael", "Mireille",
    "Tomas", "Yara", "Felix", "Nadia", "Emeka", "Sofia", "Hugo", "Amara", "Ravi", "Clara", "Dmitri",
    "Zola", "Mateo", "Hana", "Idris", "Freya", "Kenji", "Lucia", "Bram", "Noor", "Elias", "Tove",
    "Caleb", "Leila", "Oskar", "June", "Ezra", "Marisol", "Aziz", "Greta", "Jude", "Anika", "Wren",
    "Silas", "Ottilie", "Tariq", "Rosa", "Milan", "Esme", "Darius", "Ingrid", "Kwame", "Vera", "Joaquin",
    "Ruth", "Lior", "Saoirse", "Arjun", "Beatrix",
)
FEMININE = frozenset({
    "Maya", "Ines", "Priya", "Ada", "Lena", "Mireille", "Yara", "Nadia", "Sofia", "Amara", "Clara",
    "Zola", "Hana", "Freya", "Lucia", "Noor", "Tove", "Leila", "June", "Marisol", "Greta", "Anika",
    "Wren", "Ottilie", "Rosa", "Esme", "Ingrid", "Vera", "Ruth", "Saoirse", "Beatrix",
})

REAL_CITIES: tuple[str, ...] = (
    "Manchester", "Detroit", "Lagos", "Seoul", "Glasgow", "Montreal", "Melbourne", "Atlanta", "Berlin",
    "Bristol", "Oslo", "Nashville", "Chicago", "Toronto", "Leeds", "Dublin", "Austin", "Portland",
    "Gothenburg", "Osaka", "Johannesburg", "Reykjavik", "Sheffield", "Brooklyn", "Marseille", "Accra",
    "Auckland", "Minneapolis", "Lisbon", "Bogota",
)

# Syllables for fictional names; combined two or three at a time they give thousands of names.
ONSETS: tuple[str, ...] = (
    "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "r", "s", "sh",
    "st", "t", "tr", "v", "w", "z", "", "", "",
)
VOWELS: tuple[str, ...] = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ei", "ou", "ia")
CODAS: tuple[str, ...] = ("", "", "", "", "n", "r", "l", "s", "m", "nd", "rt", "v")

LYRIC_SUBJECTS: tuple[str, ...] = ("I", "you", "we", "they", "nobody", "everyone")
LYRIC_VERBS: tuple[str, ...] = (
    "keep", "leave", "burn", "count", "follow", "carry", "bury", "forget", "hold", "chase", "wait for",
    "sell", "build", "lose", "find", "paint", "borrow", "return",
)
LYRIC_OBJECTS: tuple[str, ...] = (
    "the keys to your car", "every letter", "the last train home", "a house by the water", "the money",
    "my name", "your old jacket", "the morning", "the river", "a photograph", "the city", "our secrets",
    "the long way round", "the weather", "a little time", "the ring", "the pieces", "that song",
)
# Objects with a complement, only after "keep" and "leave".
LYRIC_KEPT: tuple[str, ...] = ("the lights on", "the radio on", "the door open", "the engine running")
LYRIC_TAILS: tuple[str, ...] = (
    "", "", "", " for you", " tonight", " again", " all summer", " in the dark", " till the end",
    " like we used to", " one more time", " on my own",
)

# Lyric topics are feature-blind on purpose: sad topics would otherwise leak valence outside ``PLANTED``.
TOPICS: tuple[str, ...] = (
    "leaving home", "a friendship that ended badly", "late-night drives", "a small town", "first love",
    "money", "growing up", "the city at night", "an old photograph", "the internet", "a long winter",
    "family", "getting older", "a borrowed car", "a hotel room", "a summer job", "distance", "faith",
    "insomnia", "a wedding", "a breakup", "the sea", "ambition", "a phone call that never came",
)

MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)


def planted_words() -> dict[str, str]:
    """Every planted word mapped to its group."""
    return {word: group for group, kinds in PLANTED.items() for words in kinds.values() for word in words}


def neutral_words() -> tuple[str, ...]:
    return tuple(word for words in NEUTRAL.values() for word in words)
