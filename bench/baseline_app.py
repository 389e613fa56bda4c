"""The baseline of the submit benchmark: a validation-only Flask endpoint.

``POST /v1/comments`` validates the body with the service's own ``CommentSubmitSchema`` and answers
202 with a fresh id, like the real endpoint, but with no database, no Redis and no key check. Served
by gunicorn with the same command line as ``moderation serve``
(``moderation.cli.service.gunicorn_command``), it is the ceiling the real API is compared against.
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask import Flask, request

from moderation.schemas.comments import CommentSubmitSchema

app = Flask(__name__)
schema = CommentSubmitSchema()


@app.post("/v1/comments")
def submit() -> Any:
    try:
        schema.load(request.get_json())
    except ma.ValidationError as error:
        return {"code": 422, "status": "Unprocessable Entity", "errors": error.messages}, 422
    comment_id = str(uuid.uuid4())
    return {
        "id": comment_id,
        "status": "pending",
        "links": {"self": f"/v1/comments/{comment_id}"},
    }, 202


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
