"""E-mail bodies as comment-sized text (the SpamAssassin corpus is e-mail)."""

from __future__ import annotations

from models.training.mail import MAX_CHARS, mail_body

PLAIN = """From: a@example.com
To: b@example.com
Subject: hello
Received: from mx.example.com by relay.example.net

Hi Bob, the meeting moved to Tuesday.
> quoted line from the earlier mail
See you there.
--
Alice, Example Ltd
_______________________________________________
list mailing list https://lists.example.com/listinfo
"""

HTML = """From: spam@example.biz
Subject: WIN
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/html; charset="utf-8"

<html><head><style>p {color: red}</style></head><body>
<p>Cheap &amp; fast <a href="http://pills.example.biz/buy">order here</a></p>
<br>Unsubscribe</body></html>
--b--
"""


def test_plain_body_without_headers_quotes_signature_or_footer() -> None:
    assert mail_body(PLAIN) == "Hi Bob, the meeting moved to Tuesday. See you there."


def test_html_body_keeps_text_and_link_targets() -> None:
    body = mail_body(HTML)
    assert body == "Cheap & fast http://pills.example.biz/buy order here Unsubscribe"
    assert "color" not in body and "Subject" not in body


def test_long_bodies_are_cut_at_a_word() -> None:
    raw = "Subject: x\n\n" + "word " * 1000
    body = mail_body(raw)
    assert len(body) <= MAX_CHARS and body.endswith("word")
