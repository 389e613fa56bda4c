"""docker-compose.yml and deploy/nginx.conf, read as files (no Docker engine runs the tests)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from moderation.config import SETTINGS

REPO = Path(__file__).resolve().parents[1]


def test_only_nginx_publishes_a_port_and_the_api_trusts_one_hop() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]
    assert services["api"]["expose"] == ["8000"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["api"]["environment"]["MODERATION_PROXY_HOPS"].endswith(":-1}")


def test_nginx_buffers_bodies_and_limits_them_like_the_api() -> None:
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    directives = dict(re.findall(r"^\s*([a-z_]+) ([^;{]+);", conf, flags=re.M))
    assert directives["proxy_request_buffering"] == "on"
    assert (
        directives["client_body_timeout"] == "10s" and directives["client_header_timeout"] == "10s"
    )
    assert (
        int(directives["client_max_body_size"].removesuffix("k")) * 1024
        == SETTINGS["MAX_BODY_BYTES"][0]
    )
    assert re.search(r"^\s*proxy_set_header X-Forwarded-For \$remote_addr;", conf, flags=re.M)
    assert directives["access_log"] == "off"
    assert conf.count("{") == conf.count("}")


def test_the_env_example_does_not_override_composes_proxy_hop() -> None:
    """Issue 17 item 8: ``.env.example`` set MODERATION_PROXY_HOPS=0, which compose's
    ``${MODERATION_PROXY_HOPS:-1}`` takes over its 1: every client then looked like nginx."""
    settings = {
        line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip()
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert settings.get("MODERATION_PROXY_HOPS", "1") != "0"
