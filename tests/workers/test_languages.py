"""German, French, Spanish, Portuguese and Italian comments through ``/v1`` and a real worker:
each is scored by its own language's model (never as English), explained, and given the site's
verdict; labels the language's data does not define are absent, not guessed.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.catalog import language_labels
from tests.helpers import submit

TOXIC = {
    "de": "Du bist ein dummes Arschloch und ein elender Vollidiot, halt endlich die Fresse!",
    "fr": "Les femmes sont toutes des salopes et des putes, ferme ta gueule connasse.",
    "es": "Callate puta, las mujeres como tú solo sirven para fregar, zorra de mierda.",
    "pt": "Cala a boca seu idiota do caralho, você é um lixo de merda, vai se foder.",
    "it": "Questi zingari di merda devono tornare a casa loro, sono solo feccia e parassiti.",
}
CLEAN = {
    "de": "Vielen Dank für den ausführlichen Artikel, die Grafiken zum Haushalt sind hilfreich.",
    "fr": "Merci pour cet article très clair, les graphiques sur le budget sont vraiment utiles.",
    "es": "Gracias por el artículo, los gráficos sobre el presupuesto municipal son muy útiles.",
    "pt": "Obrigado pela matéria, os gráficos sobre o orçamento da cidade ajudam muito.",
    "it": "Grazie per l'articolo, i grafici sul bilancio comunale sono davvero utili.",
}
ENGLISH_ONLY = ("severe_toxicity", "threat")


def comment(client: Any, keys: Any, comment_id: str) -> dict[str, Any]:
    return client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()


@pytest.mark.parametrize("code", sorted(TOXIC))
def test_a_toxic_comment_is_scored_explained_and_held_by_its_languages_model(
    client: Any, keys: Any, work: Any, code: str
) -> None:
    comment_id = submit(client, keys, TOXIC[code])
    work()
    body = comment(client, keys, comment_id)
    assert body["status"] == "held", body
    assert "toxicity" in body["reasons"] and "unscored" not in body["reasons"]
    assert set(body["scores"]) == set(language_labels()[code])
    assert not set(ENGLISH_ONLY) & set(body["scores"])  # absent, never the English guess
    assert f"toxicity-{code}" in body["model_versions"]
    spans = body["explanations"]["toxicity"]
    assert spans and all(TOXIC[code][s["start"] : s["end"]] == s["text"] for s in spans)


@pytest.mark.parametrize("code", sorted(CLEAN))
def test_a_clean_comment_is_approved_by_its_languages_model(
    client: Any, keys: Any, work: Any, code: str
) -> None:
    comment_id = submit(client, keys, CLEAN[code])
    work()
    body = comment(client, keys, comment_id)
    assert (body["status"], body["reasons"]) == ("approved", []), body
    assert f"toxicity-{code}" in body["model_versions"]


def test_a_short_comment_follows_the_sites_declared_languages(
    client: Any, keys: Any, work: Any
) -> None:
    response = client.patch(
        "/v1/sites/blog/policy", json={"languages": ["de"]}, headers=keys.headers("admin")
    )
    assert response.status_code == 200, response.get_json()
    comment_id = submit(client, keys, "Halt die Fresse")
    work()
    assert "toxicity-de" in comment(client, keys, comment_id)["model_versions"]
    response = client.patch(
        "/v1/sites/blog/policy", json={"languages": ["deutsch"]}, headers=keys.headers("admin")
    )
    assert response.status_code == 422


def test_the_comments_language_field_picks_the_model(client: Any, keys: Any, work: Any) -> None:
    comment_id = submit(client, keys, "Valeu, show de bola!", language="pt-BR")
    work()
    assert "toxicity-pt" in comment(client, keys, comment_id)["model_versions"]


@pytest.mark.parametrize(
    ("word", "text", "banned"),
    [
        ("Arschloch", "Was für ein ARSCHLOCH!", True),
        ("connard", "Quel connard, celui-là.", True),
        ("connard", "Les connardises du quotidien.", False),  # a whole word only
        ("cabrón", "Eres un CABRON de verdad.", True),  # accents and case folded
        ("idiota", "Sei proprio un'idiota.", True),
    ],
)
def test_banned_words_match_whole_words_across_case_and_accents(
    client: Any, keys: Any, work: Any, word: str, text: str, banned: bool
) -> None:
    response = client.patch(
        "/v1/sites/blog/policy", json={"banned_words": [word]}, headers=keys.headers("admin")
    )
    assert response.status_code == 200, response.get_json()
    comment_id = submit(client, keys, text)
    work()
    body = comment(client, keys, comment_id)
    assert (body["status"] == "rejected") is banned, body
    if banned:
        assert body["reasons"][0] == "banned_word"
        assert (
            body["explanations"]["banned_word"][0]["text"]
            .casefold()
            .startswith(word[:4].casefold())
        )
