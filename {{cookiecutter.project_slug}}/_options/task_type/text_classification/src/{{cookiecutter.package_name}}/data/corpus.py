"""The bundled default data set: short news-like sentences on four topics, made by code.

The sentences are generated deterministically from the word lists and templates
below, so the corpus ships as code and nothing is downloaded. It is not trivially
separable by keywords: topics share vocabulary ("record", "season", "cloud",
"chip", "server", "hot", "fans"), 40% of the sentences carry an aside from another
topic, many have a topic-neutral subject, verb or object, and 5% of the labels are
wrong (a bag-of-words logistic regression scores about 0.91 on the test split).

`write_corpus(path)` writes it as JSON Lines (`{"text", "label", "split"}`), split
70/15/15 with the class proportions kept in every split.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sklearn.model_selection import train_test_split

from .atomic import write_file

SENTENCES_PER_TOPIC = 800
SEED = 0
# Shares of sentences with an aside from another topic, with a topic-neutral subject, verb
# and object (each drawn on its own), and with a wrong label.
OTHER_ASIDE_SHARE = 0.4
NEUTRAL_SHARE = {"subject": 0.3, "verb": 0.35, "object": 0.2}
LABEL_NOISE = 0.05

TOPICS: dict[str, dict[str, list[str]]] = {
    "food": {
        "subject": [
            "the chef",
            "our neighbourhood bakery",
            "the new bistro",
            "a street vendor",
            "the head cook",
            "my grandmother",
            "the pastry team",
            "the food critic",
            "the family restaurant",
            "the farmers market",
            "the cafe on the corner",
            "the server",
            "a young baker",
            "the fans of the diner",
        ],
        "verb": [
            "served",
            "baked",
            "cooked",
            "tasted",
            "grilled",
            "roasted",
            "prepared",
            "recommended",
            "sold out of",
            "seasoned",
            "launched",
            "won praise for",
        ],
        "object": [
            "a spicy noodle soup",
            "fresh sourdough bread",
            "a lemon tart",
            "slow roasted lamb",
            "a bowl of ramen",
            "the new seasonal menu",
            "grilled vegetables",
            "chocolate chip cookies",
            "a hot curry",
            "crispy fries",
            "a record number of pizzas",
            "homemade pasta",
            "the tasting menu",
            "a cold brew coffee",
            "warm apple pie",
            "a fish stew",
        ],
        "place": [
            "in the kitchen",
            "at the restaurant",
            "at the market",
            "in the dining room",
            "at the food festival",
            "on the patio",
        ],
        "aside": [
            "over coffee and pastries",
            "before dinner was served",
            "with a plate of pasta on the side",
            "next to the dessert buffet",
            "while the soup was simmering",
        ],
    },
    "sports": {
        "subject": [
            "the striker",
            "the home team",
            "the coach",
            "the goalkeeper",
            "our captain",
            "the visiting side",
            "the young sprinter",
            "the tennis champion",
            "the referee",
            "the league leaders",
            "the rookie",
            "the fans",
            "the defender",
        ],
        "verb": [
            "scored",
            "won",
            "lost",
            "celebrated",
            "trained for",
            "missed",
            "clinched",
            "played",
            "dominated",
            "broke",
            "prepared for",
            "streamed",
        ],
        "object": [
            "the final match",
            "a penalty kick",
            "the championship title",
            "a hat trick",
            "the second half",
            "a new world record",
            "the cup semifinal",
            "a close game",
            "the season opener",
            "three points",
            "the tournament",
            "a fast break",
            "a hot streak",
            "the relay race",
        ],
        "place": [
            "at the stadium",
            "on the pitch",
            "on the court",
            "at the arena",
            "in front of a packed crowd",
            "on the track",
        ],
        "aside": [
            "right after the match",
            "as the crowd cheered",
            "during the halftime show",
            "while the team warmed up",
            "before the final whistle",
        ],
    },
    "technology": {
        "subject": [
            "the startup",
            "the software team",
            "the chip maker",
            "our engineers",
            "the app developer",
            "the new phone",
            "the cloud provider",
            "the research lab",
            "the security team",
            "the laptop maker",
            "the robot",
            "the server",
            "the fans of the platform",
        ],
        "verb": [
            "released",
            "launched",
            "updated",
            "patched",
            "tested",
            "shipped",
            "announced",
            "upgraded",
            "debugged",
            "designed",
            "crashed during",
            "streamed",
        ],
        "object": [
            "a faster processor",
            "the latest software update",
            "a new smartphone",
            "an open source library",
            "the cloud platform",
            "a security patch",
            "the mobile app",
            "a neural network",
            "a new chip",
            "the data center",
            "the operating system",
            "a record number of downloads",
            "a smart thermostat",
            "a hot new gadget",
        ],
        "place": [
            "at the tech conference",
            "in the data center",
            "in the lab",
            "on the website",
            "in the app store",
            "on social media",
        ],
        "aside": [
            "streamed live on the app",
            "while the servers rebooted",
            "according to the company blog",
            "right after a software update",
            "as the website went down",
        ],
    },
    "weather": {
        "subject": [
            "the forecast",
            "a cold front",
            "the storm",
            "the weather service",
            "heavy rain",
            "the heat wave",
            "the wind",
            "a thick fog",
            "the hurricane",
            "the meteorologist",
            "the snowfall",
            "dark clouds",
            "the sunshine",
        ],
        "verb": [
            "brought",
            "predicted",
            "caused",
            "delayed",
            "swept across",
            "hit",
            "reached",
            "warned of",
            "cooled",
            "flooded",
            "blanketed",
            "broke",
        ],
        "object": [
            "the coast",
            "record temperatures",
            "strong winds",
            "freezing rain",
            "the northern valleys",
            "a sunny afternoon",
            "thunderstorms",
            "the city",
            "a hot and humid week",
            "the first frost of the season",
            "icy roads",
            "clear skies",
            "a record high",
            "the cloud cover",
        ],
        "place": [
            "along the coast",
            "in the mountains",
            "across the region",
            "over the bay",
            "in the valley",
            "downtown",
        ],
        "aside": [
            "while the rain kept falling",
            "despite the cold wind",
            "under grey skies",
            "as the snow piled up",
            "in the summer heat",
        ],
    },
}

# Words of no topic, shared by every one.
NEUTRAL = {
    "subject": [
        "the mayor",
        "a local reporter",
        "our team",
        "the company",
        "the crowd",
        "everyone in town",
        "my neighbour",
        "the organisers",
    ],
    "verb": [
        "talked about",
        "enjoyed",
        "complained about",
        "was surprised by",
        "posted about",
        "could not stop talking about",
        "shared photos of",
        "waited for",
    ],
    "object": [
        "a big surprise",
        "the whole town",
        "a busy weekend",
        "a long week",
        "the headlines",
        "everyone",
        "a new record",
        "the start of the season",
        "a lot of attention",
        "a slow start",
    ],
}
TIMES = [
    "on Monday",
    "this morning",
    "last night",
    "on Friday evening",
    "after a short break",
    "for the third year running",
    "earlier today",
    "over the weekend",
    "again this week",
    "late on Sunday",
]
OPENERS = [
    "Reports say",
    "Locals noticed that",
    "Everyone agreed that",
    "Once again",
    "To nobody's surprise",
    "It was confirmed that",
    "Many people said",
]
TEMPLATES = [
    "{subject} {verb} {object} {time}.",
    "{subject} {verb} {object} {place}.",
    "{subject} {verb} {object} {place} {time}.",
    "{opener} {subject} {verb} {object}.",
    "{time}, {subject} {verb} {object}.",
    "{subject} {verb} {object}, {aside}.",
    "{opener} {subject} {verb} {object} {place}, {aside}.",
    "{subject} {verb} {object} {time}, {aside}.",
]


def sentence(topic: str, rng: random.Random) -> str:
    """One sentence about `topic`, with the noise described in the module docstring."""
    slots = {
        slot: rng.choice(NEUTRAL[slot] if rng.random() < share else TOPICS[topic][slot])
        for slot, share in NEUTRAL_SHARE.items()
    }
    aside_topic = topic
    if rng.random() < OTHER_ASIDE_SHARE:
        aside_topic = rng.choice([name for name in sorted(TOPICS) if name != topic])
    template = rng.choice(TEMPLATES)
    if aside_topic != topic and "{aside}" not in template:
        template = template[:-1] + ", {aside}."
    text = template.format(
        **slots,
        place=rng.choice(TOPICS[topic]["place"]),
        time=rng.choice(TIMES),
        opener=rng.choice(OPENERS),
        aside=rng.choice(TOPICS[aside_topic]["aside"]),
    )
    return text[0].upper() + text[1:]


def generate_corpus(sentences_per_topic: int = SENTENCES_PER_TOPIC, seed: int = SEED) -> list[dict[str, str]]:
    """Unique sentences, `sentences_per_topic` of each topic, each `{"text", "label"}`."""
    rng = random.Random(seed)
    samples: list[dict[str, str]] = []
    seen: set[str] = set()
    for topic in sorted(TOPICS):
        count = 0
        while count < sentences_per_topic:
            text = sentence(topic, rng)
            if text in seen:
                continue
            seen.add(text)
            count += 1
            label = topic
            if rng.random() < LABEL_NOISE:
                label = rng.choice([name for name in sorted(TOPICS) if name != topic])
            samples.append({"text": text, "label": label})
    rng.shuffle(samples)
    return samples


def split_corpus(samples: list[dict[str, str]], seed: int = SEED) -> list[dict[str, str]]:
    """Add a `split` field: train, val and test in 70/15/15, stratified by label."""
    positions = list(range(len(samples)))
    labels = [sample["label"] for sample in samples]
    train, rest = train_test_split(positions, test_size=0.3, random_state=seed, stratify=labels)
    val, test = train_test_split(rest, test_size=0.5, random_state=seed, stratify=[labels[i] for i in rest])
    split_of = {index: name for name, members in (("train", train), ("val", val), ("test", test)) for index in members}
    return [{**sample, "split": split_of[index]} for index, sample in enumerate(samples)]


def write_corpus(path: Path) -> None:
    """Write the corpus to `path` (JSON Lines) unless it is already there (idempotent, atomic)."""
    if not path.is_file():
        lines = (json.dumps(sample) + "\n" for sample in split_corpus(generate_corpus()))
        write_file(path, lambda staging: staging.write_text("".join(lines), encoding="utf-8"))
