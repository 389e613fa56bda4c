"""Template-made functional cases: hate, threats and their civil look-alikes about the same groups.

Public sets rarely pair a hateful sentence with a civil one about the same group in the same
words, so a model learns that naming a group is the signal ("Muslims", "trans people") and holds
counter-speech, negation and neutral mentions.  Each template here is written once and filled
with many groups (or people), so the hateful and the civil use of every group name are both seen
and only the words around it separate them.  The case types follow the functional tests of hate
speech models (derogation, dehumanisation, threats direct and normative, negation both ways,
questions and opinions, counter-speech quoting or naming hate, neutral and positive mentions,
violent words used innocently, abuse of objects).

A fifth of the templates (by a hash of the template) are held out with all their fillings:
``template_cases("heldout")`` is evaluated (``models.evaluate.verdicts``), never trained on.  The
sentences are the project's own; no public test suite's templates were copied.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from models.training.datasets.rows import Example
from models.training.datasets.rows import example as _ex

SOURCE = "handwritten-templates"

# (plural, singular) of protected groups.
GROUPS: tuple[tuple[str, str], ...] = (
    ("women", "woman"),
    ("trans people", "trans person"),
    ("gay people", "gay person"),
    ("Black people", "Black person"),
    ("disabled people", "disabled person"),
    ("Muslims", "Muslim"),
    ("immigrants", "immigrant"),
    ("Jews", "Jew"),
    ("refugees", "refugee"),
    ("Mexicans", "Mexican"),
    ("Asians", "Asian person"),
    ("lesbians", "lesbian"),
    ("Christians", "Christian"),
    ("Hindus", "Hindu"),
    ("migrants", "migrant"),
    ("Africans", "African"),
    ("gay men", "gay man"),
    ("Arabs", "Arab"),
)
# People a threat or an insult can be aimed at one by one.
PEOPLE: tuple[str, ...] = (
    "him",
    "her",
    "that judge",
    "the mayor",
    "this reporter",
    "the senator",
    "that referee",
    "the councillor",
    "that so-called journalist",
    "the head teacher",
)

HATE = {"toxicity": 1, "identity_attack": 1}
GROUP_THREAT = {"toxicity": 1, "identity_attack": 1, "threat": 1}
PERSON_THREAT = {"toxicity": 1, "threat": 1}
INSULT = {"toxicity": 1, "insult": 1}
CIVIL = {"toxicity": 0, "insult": 0, "identity_attack": 0, "threat": 0, "severe_toxicity": 0}

# case type -> (labels, templates); {g} plural group, {G} the same capitalised, {s} singular,
# {p} a person.  Templates without a slot are used once.
CASES: dict[str, tuple[dict[str, int], tuple[str, ...]]] = {
    "derogation": (
        HATE,
        (
            "I hate {g}.",
            "{G} disgust me.",
            "I can't stand {g}, not a single one of them.",
            "{G} make me sick to my stomach.",
            "Nothing ruins a neighbourhood faster than {g}.",
            "{G} are a plague on this country.",
            "Honestly, {g} are the worst thing that ever happened to us.",
            "{G} are all liars and cheats.",
            "{G} are filthy and always will be.",
            "Every {s} I have ever met was a lazy leech.",
            "{G} are too stupid to run their own lives.",
            "{G} are a disgrace to the human race.",
            "You can always smell a {s} before you see one.",
            "{G} ruin everything they touch.",
        ),
    ),
    "dehumanisation": (
        HATE,
        (
            "{G} are vermin.",
            "{G} are nothing but animals.",
            "{G} are parasites living off the rest of us.",
            "{G} are a cancer on society.",
            "{G} are subhuman trash.",
            "{G} breed like rats.",
            "A {s} is barely a person.",
            "{G} are cockroaches, pure and simple.",
            "{G} belong in a zoo, not in our streets.",
            "Treat {g} like the pests they are.",
        ),
    ),
    "hate_question_opinion": (
        HATE,
        (
            "Why are {g} so disgusting?",
            "Why do {g} ruin everything they touch?",
            "Is there anything more pathetic than a {s}?",
            "I think {g} are inferior to the rest of us.",
            "In my opinion {g} are a waste of space.",
            "I honestly believe {g} are less than human.",
            "Am I the only one who thinks {g} are vile?",
            "Let's be honest, {g} are scum.",
        ),
    ),
    "hate_negated": (
        HATE,
        (
            "{G} are not human.",
            "{G} don't deserve any rights.",
            "I will never treat a {s} as my equal.",
            "No {s} should ever be allowed to vote.",
            "{G} are not welcome here and never will be.",
            "A {s} is no better than a stray dog.",
            "There is no such thing as a decent {s}.",
            "{G} have never contributed anything worth having.",
        ),
    ),
    "hate_profane": (
        HATE,
        (
            "{G} are fucking disgusting.",
            "Fuck all {g}.",
            "{G} are a bunch of shitty freeloaders.",
            "Screw every last {s}, they're trash.",
        ),
    ),
    "threat_group": (
        GROUP_THREAT,
        (
            "I'm going to kill all {g}.",
            "I will shoot the next {s} I see.",
            "We're going to burn down every house {g} live in.",
            "{G} should all be shot.",
            "{G} deserve to be hanged, every one of them.",
            "Someone should put a bullet in every {s}.",
            "All {g} should be wiped off the face of the earth.",
            "{G} need to be exterminated.",
            "Round up the {g} and get rid of them for good.",
            "The only good {s} is a dead one.",
            "If I see a {s} on my street I'll break their legs.",
            "Somebody ought to gas the lot of them, {g} included.",
        ),
    ),
    "threat_person": (
        PERSON_THREAT,
        (
            "Someone should put a bullet in {p}.",
            "Somebody needs to teach {p} a lesson with a baseball bat.",
            "I hope {p} gets what's coming, and soon.",
            "Somebody ought to run {p} off the road.",
            "I know where {p} lives, and I'm coming.",
            "One more ruling like that and {p} won't be walking anywhere.",
            "If I ever meet {p} in a dark alley, that's the end.",
            "It would be a shame if something happened to {p} on the way home.",
            "{P} should be strung up from the nearest lamppost.",
            "Give me five minutes alone with {p} and a knife.",
            "Hope {p} ends up in a ditch where nobody finds the body.",
            "Mark my words, {p} will pay in blood for this.",
        ),
    ),
    "insult_person": (
        INSULT,
        (
            "You are a pathetic idiot.",
            "What a spineless moron you are.",
            "You're not even smart enough to be wrong.",
            "Nobody with a brain would write that, and you clearly don't have one.",
            "Calling you a clown would insult clowns, you halfwit.",
            "It's not your opinion that's stupid, it's you.",
            "Shut up, you ignorant fool.",
            "You have the intelligence of a wet sponge.",
            "Go crawl back under your rock, you worthless troll.",
            "I've read smarter things on a cereal box, you dimwit.",
        ),
    ),
    "civil_negation": (
        CIVIL,
        (
            "I don't hate {g}.",
            "{G} are not disgusting, and nobody should say so.",
            "I would never hurt a {s}.",
            "It's wrong to think {g} are dangerous.",
            "I've never believed {g} are less capable than anyone else.",
            "Not one {s} I know fits that stereotype.",
            "No, {g} are not the reason rents went up.",
            "I don't think {g} should be blamed for the crime figures.",
        ),
    ),
    "civil_mention": (
        CIVIL,
        (
            "We are a group of {g} who run a reading club.",
            "I live next door to two {g} and we share a garden.",
            "The article interviewed several {g} about the new policy.",
            "{G} make up a growing share of voters in the district.",
            "My manager is a {s} and she runs the best team in the building.",
            "The survey asked {g} how they felt about the council's plan.",
            "As a {s}, I think the bill goes too far, but I see why people back it.",
            "{G} have been part of this city for generations.",
            "The new clinic will serve {g} and everyone else in the valley.",
            "I'm a {s} and I voted for the other party this time.",
        ),
    ),
    "civil_positive": (
        CIVIL,
        (
            "I love {g}.",
            "{G} are wonderful neighbours.",
            "So grateful for the {g} in my life.",
            "{G} deserve the same respect as everyone else.",
            "The {g} in our town organised the flood relief, and it was brilliant.",
            "Proud to stand with {g} today.",
        ),
    ),
    "counter_quoted": (
        CIVIL,
        (
            'Saying "{g} are vermin" is plain bigotry and has no place here.',
            "When you write that {g} are animals, you show who you really are.",
            'He called {g} "parasites" on air and he should be ashamed.',
            "I reported the comment that said {g} should be shot.",
            '"{G} are scum" is not an opinion, it\'s hate speech.',
            'The sign said "kill all {g}" and the police did nothing about it.',
            "Posts claiming {g} are subhuman are why I left that forum.",
            "Quoting someone who says {g} are filthy doesn't make it okay to repeat it.",
        ),
    ),
    "counter_referencing": (
        CIVIL,
        (
            "Stop calling {g} disgusting.",
            "You can't just say {g} are criminals; it's a lie and you know it.",
            "It's not okay to threaten {g}, ever.",
            "Blaming {g} for everything is lazy and cruel.",
            "Please don't use that slur about {g} in this thread.",
            "People who attack {g} online should lose their accounts.",
            "The hate {g} get in these comments is shameful.",
            "Dehumanising {g} is how violence against them starts.",
        ),
    ),
    "civil_reporting": (
        CIVIL,
        (
            "The report documents a sharp rise in attacks on {g}.",
            "The court convicted a man who threatened to kill {g} in his town.",
            "Police are investigating graffiti that called {g} vermin.",
            "The study found {g} face more abuse online than anyone else.",
            "A man was jailed for posting that {g} should be hanged.",
        ),
    ),
    "violent_words_innocent": (
        CIVIL,
        (
            "This heat is killing me.",
            "I'd kill for a coffee right now.",
            "That comedian absolutely murdered on stage last night.",
            "Shoot me an email when you're free.",
            "Our team got slaughtered in the second half.",
            "Beat the eggs and fold in the flour.",
            "The new tax plan would kill small bakeries, and I'll vote against it.",
            "She nailed the interview and blew the panel away.",
            "That exam destroyed me.",
            "I'm dying to see how the council explains this budget.",
            "The storm knocked out power across the whole county.",
            "The senator's speech bombed with the crowd.",
            "Cut the onions finely and smash the garlic.",
            "He fought cancer for six years.",
        ),
    ),
    "civil_disagreement": (
        CIVIL,
        (
            "I think this policy is a terrible idea, and here is why.",
            "The minister's numbers don't add up, and the article should say so.",
            "With respect, the columnist has NATO's history completely backwards.",
            "This is the worst budget in a decade, and voters will remember it.",
            "I strongly disagree: sanctions hurt ordinary people more than governments.",
            "Your argument ignores the trade figures entirely.",
            "The council is wasting our money on this stadium, plain and simple.",
            "I hate this plan, but I'll admit the transport part makes sense.",
            "Frankly, the editorial board should be embarrassed by this piece.",
            "That's a ridiculous comparison, and the facts don't support it.",
        ),
    ),
    "abuse_objects": (
        CIVIL,
        (
            "I hate this weather.",
            "This phone is absolute garbage.",
            "Mondays are the worst.",
            "The new website layout is hideous.",
            "That film was a steaming pile of rubbish.",
            "I can't stand cauliflower.",
        ),
    ),
}


@dataclass(frozen=True)
class TemplateCase:
    """One filled template: its case type, text and expected labels."""

    case: str
    text: str
    labels: dict[str, int]


def _held_out(template: str) -> bool:
    return hashlib.sha256(template.encode()).digest()[0] < 256 // 5


def _fill(template: str, rng: random.Random, per_template: int) -> list[str]:
    if "{p}" in template or "{P}" in template:
        return [template.format(p=p, P=p[0].upper() + p[1:]) for p in PEOPLE]
    if not any(slot in template for slot in ("{g}", "{G}", "{s}")):
        return [template]
    groups = rng.sample(GROUPS, min(per_template, len(GROUPS)))
    return [template.format(g=g, G=g[0].upper() + g[1:], s=s) for g, s in groups]


def template_cases(split: str, per_template: int = 8, seed: int = 0) -> list[TemplateCase]:
    """The cases of ``split`` ("train" or "heldout"), each template filled with
    ``per_template`` groups (every person for threats on people)."""
    rng = random.Random(seed)
    out = []
    for case, (labels, templates) in CASES.items():
        for template in templates:
            if _held_out(template) != (split == "heldout"):
                continue
            for text in _fill(template, rng, per_template):
                out.append(TemplateCase(case, text, dict(labels)))
    return out


def load_templates(data_dir: Path) -> Iterator[Example]:
    """The training split as rows of :data:`SOURCE` (the data folder is unused)."""
    for c in template_cases("train"):
        ex = _ex(c.text, SOURCE, dict(c.labels))
        ex.meta["case"] = c.case
        yield ex
