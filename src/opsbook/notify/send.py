"""Send one event to one channel: apprise for URLs, boto3 for SNS topics. Bounded time, one retry; the
result is ok or one redacted line, never an exception and never the URL or a secret it was built from."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opsbook.core.errors import ConfigError, one_line
from opsbook.core.events import Event, EventSeverity
from opsbook.core.notifications import PLACEHOLDER, Channel
from opsbook.notify import resolves

if TYPE_CHECKING:
    from opsbook.core.config import Config

RETRY_PAUSE_S = 0.5
REDACTED = "[redacted]"
_TOKEN_SPLIT = re.compile(r"[/:@?&=#,]+")


class SendFailed(Exception):
    """A channel did not accept the message; the text is already redacted."""


def expand(name: str, channel: Channel) -> str:
    """The channel's URL with `${VAR}` filled in from the environment; a missing variable is a one-line
    ConfigError naming the channel and the variable (never the URL)."""
    assert channel.url is not None
    channel.require_variables(name)
    return PLACEHOLDER.sub(lambda m: os.environ[m.group(1)], channel.url.get_secret_value())


def secrets_of(channel: Channel) -> list[str]:
    """Every piece of the channel's URL that could be a secret, longest first: the URL itself (template and
    expanded), each variable's value, each user/host/path/query part of at least 6 characters."""
    if channel.url is None:
        return []
    template = channel.url.get_secret_value()
    values = [os.environ[v] for v in PLACEHOLDER.findall(template) if v in os.environ]
    expanded = PLACEHOLDER.sub(lambda m: os.environ.get(m.group(1), ""), template)
    parts = [p for url in (template, expanded) for p in _TOKEN_SPLIT.split(url.split("://", 1)[-1])]
    found = {template, expanded, *values, *(p for p in parts if len(p) >= 6)}
    return sorted((s for s in found if s), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class _Redact(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(s in text for s in self.secrets):
            record.msg, record.args = redact(text, self.secrets), ()
        return True


# Loggers that may name a URL while a message is sent (urllib3 logs each request's path at DEBUG).
HTTP_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "urllib3.poolmanager",
    "requests",
    "botocore",
    "apprise",
)


@contextmanager
def redacting(secrets: list[str]) -> Iterator[None]:
    """While sending: every log line of the HTTP libraries with a secret in it has it replaced."""
    flt = _Redact(secrets)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for lg in loggers:
        lg.addFilter(flt)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(flt)


def send(cfg: Config, name: str, channel: Channel, event: Event) -> None:
    """Deliver `event` on `channel`, trying twice; raises SendFailed (redacted) or ConfigError (missing
    variable, already safe to show)."""
    secrets = secrets_of(channel)
    attempt: Callable[[], None]
    if channel.sns is not None:
        attempt = lambda: _send_sns(cfg, channel, event)  # noqa: E731
    else:
        url = expand(name, channel)
        attempt = lambda: _send_apprise(url, channel.timeout, event)  # noqa: E731
    last = ""
    for n in range(2):
        try:
            with redacting(secrets):
                attempt()
            return
        except Exception as exc:  # noqa: BLE001 - any sender failure is this channel's failure
            last = one_line(redact(str(exc), secrets)) or type(exc).__name__
        if n == 0:
            time.sleep(RETRY_PAUSE_S)
    raise SendFailed(last)


_NOTIFY_TYPES = {
    EventSeverity.CRITICAL: "failure",
    EventSeverity.HIGH: "failure",
    EventSeverity.MEDIUM: "warning",
    EventSeverity.LOW: "warning",
    EventSeverity.INFO: "info",
}


def _quiet_apprise() -> None:
    """apprise logs URLs and server replies: keep them out of opsbook's logs (its lines are captured per
    send, redacted, and only the last problem becomes the delivery's error)."""
    log = logging.getLogger("apprise")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())


def _apprise() -> Any:
    _quiet_apprise()  # before the import: apprise logs while loading
    try:
        import apprise
    except ImportError:
        raise ConfigError("notification URLs need apprise: pip install 'opsbook[notify]'") from None
    return apprise


def understood(name: str, channel: Channel) -> bool:
    """apprise knows the channel's URL (scheme and parts); SNS channels always are."""
    if channel.url is None:
        return True
    return bool(_apprise().Apprise().add(expand(name, channel)))


def _send_apprise(url: str, timeout: float, event: Event) -> None:
    apprise = _apprise()
    sep = "&" if "?" in url else "?"
    bounded = f"{url}{sep}cto={timeout:g}&rto={timeout:g}"
    ap = apprise.Apprise()
    if not ap.add(bounded):
        raise SendFailed("the url is not one apprise understands (check its scheme and parts)")
    kind = "success" if resolves(event) else _NOTIFY_TYPES[event.severity]
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        ok = ap.notify(title=event.title, body=event.body or event.title, notify_type=kind)
    if not ok:
        lines = [ln for ln in captured.getvalue().splitlines() if ln.strip()]
        raise SendFailed(lines[-1] if lines else "the channel did not accept the message")


def _send_sns(cfg: Config, channel: Channel, event: Event) -> None:
    """The guide's `aws sns publish --topic-arn ... --message ...`, through opsbook's session factory (the
    account's profile or role, the sandbox endpoint); apprise's SNS plugin cannot take an endpoint."""
    from opsbook.providers.aws.session import SessionFactory

    assert channel.sns is not None
    account = cfg.account(channel.sns.account)
    region = channel.sns.region
    client = SessionFactory(cfg).client(account, region, "sns", f"aws:{account.name}/{region}")
    subject = re.sub(r"[^\x20-\x7e]", " ", event.title)[:99].strip() or "opsbook"
    client.publish(TopicArn=channel.sns.topic_arn, Subject=subject, Message=event.body or event.title)
