"""Perspective's ``languages`` and Coral's locale, through a real worker: a German, French,
Spanish, Portuguese or Italian comment gets a real score from its own language's model, the
answer says which language scored it (``detectedLanguages``), and an attribute that language's
data does not define is Perspective's LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE, or absent under
``dropUnsupportedAttributes``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.storage import Comment, db
from tests.moderation.compat.test_coral import MODERATE, coral_answer, coral_request, post, secret
from tests.moderation.compat.test_perspective import analyze, assert_google_error
from tests.workers.test_languages import CLEAN, TOXIC

__all__ = ["secret"]  # the fixture, used by the Coral test below


@pytest.fixture(autouse=True, scope="module")
def detector() -> None:
    """Loaded before the first job, as a worker loads it at start (``WorkerContext``): under
    load its first load alone can take the 5 s a protocol call waits."""
    from models import language

    language.load()


def coral_locale_request(text: str, code: str) -> dict[str, Any]:
    """What Coral's toxic-comment phase sends: the site's locale as the one language."""
    return {
        "comment": {"text": text},
        "doNotStore": True,
        "requestedAttributes": {"TOXICITY": {}},
        "languages": [code],
    }


@pytest.mark.parametrize("code", sorted(TOXIC))
def test_coral_locale_is_scored_by_that_languages_model(
    client: Any, keys: Any, live_worker: None, code: str
) -> None:
    toxic = analyze(client, keys.plain["blog"], coral_locale_request(TOXIC[code], code))
    assert toxic.status_code == 200, toxic.get_data(as_text=True)
    body = toxic.get_json()
    assert body["languages"] == [code] and body["detectedLanguages"] == [code]
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.8  # Coral holds it
    clean = analyze(client, keys.plain["blog"], coral_locale_request(CLEAN[code], code))
    assert clean.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] <= 0.8


@pytest.mark.parametrize("code", sorted(TOXIC))
def test_without_languages_the_detected_language_scores_and_is_named(
    client: Any, keys: Any, live_worker: None, code: str
) -> None:
    request = {"comment": {"text": TOXIC[code]}, "requestedAttributes": {"TOXICITY": {}}}
    response = analyze(client, keys.plain["blog"], request)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["detectedLanguages"] == [code]
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.8
    db.remove()
    stored = db.session().scalar(select(Comment))
    assert stored.status == "held" and f"toxicity-{code}" in stored.model_versions


def test_an_attribute_the_language_does_not_define_is_an_error_or_dropped(
    client: Any, keys: Any, live_worker: None
) -> None:
    request = {
        "comment": {"text": TOXIC["de"]},
        "requestedAttributes": {"TOXICITY": {}, "THREAT": {}},
        "languages": ["de"],
    }
    refused = analyze(client, keys.plain["blog"], request)
    assert_google_error(refused, 400, "INVALID_ARGUMENT", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")
    dropped = analyze(
        client, keys.plain["blog"], {**request, "dropUnsupportedAttributes": True}
    ).get_json()
    assert set(dropped["attributeScores"]) == {"TOXICITY"}
    # Detected, not requested: the same.
    detected = {**request, "dropUnsupportedAttributes": True}
    del detected["languages"]
    body = analyze(client, keys.plain["blog"], detected).get_json()
    assert set(body["attributeScores"]) == {"TOXICITY"} and body["detectedLanguages"] == ["de"]


def test_a_language_without_a_model_is_still_refused(client: Any, keys: Any) -> None:
    request = coral_locale_request("Dit is een artikel.", "nl")
    refused = analyze(client, keys.plain["blog"], request)
    assert_google_error(refused, 400, "INVALID_ARGUMENT", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")


@pytest.mark.parametrize("code", ["de", "pt"])
def test_corals_moderation_phase_holds_a_toxic_comment_in_another_language(
    client: Any, secret: str, live_worker: None, code: str
) -> None:
    body = coral_request(TOXIC[code])
    answer = coral_answer(post(client, MODERATE, body, sign(secret, body)))
    assert answer is not None and answer["status"] == "SYSTEM_WITHHELD"
    db.remove()
    stored = db.session().scalar(select(Comment))
    assert f"toxicity-{code}" in stored.model_versions and "unscored" not in stored.reasons
