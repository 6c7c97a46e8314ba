"""The `notifications:` section of opsbook.yaml: named channels and the routes that pick them per event.

A channel is an apprise URL (`url:`, `${ENV_VAR}` placeholders expanded only when sending) or an SNS topic
(`sns:`, sent through opsbook's AWS session factory). A URL is a secret: it is a `SecretStr`, so
`config show` prints it masked, and nothing in opsbook ever prints it.
"""

from __future__ import annotations

import os
import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from opsbook.core.errors import ConfigError
from opsbook.core.events import EventKind, EventSeverity

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHANNEL_NAME = r"^[A-Za-z0-9_.-]+$"
KINDS = tuple(k.value for k in EventKind)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SnsTarget(_Strict):
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$")
    account: str = Field(min_length=1)  # an `accounts[].name`: whose credentials publish

    @property
    def region(self) -> str:
        return self.topic_arn.split(":")[3]


class Channel(_Strict):
    url: SecretStr | None = None  # apprise URL: json://, slack://, msteams://, mailto://, pagerduty://...
    sns: SnsTarget | None = None
    timeout: float = Field(10.0, gt=0, le=120)  # seconds per attempt (connect and read); one retry

    @model_validator(mode="after")
    def _one_kind(self) -> Channel:
        if (self.url is None) == (self.sns is None):
            raise ValueError("give exactly one of url or sns")
        return self

    @property
    def kind(self) -> str:
        """What `notify channels` shows instead of the URL: its scheme (`json`, `slack`...) or `sns`."""
        if self.url is None:
            return "sns"
        return self.url.get_secret_value().split("://", 1)[0].lower() or "?"

    def missing_variables(self) -> list[str]:
        """The `${VAR}` placeholders of the URL that the environment does not set."""
        if self.url is None:
            return []
        return [v for v in PLACEHOLDER.findall(self.url.get_secret_value()) if v not in os.environ]

    def require_variables(self, name: str) -> None:
        """ConfigError (exit 2) naming the channel and the first variable its URL uses that is not set."""
        if missing := self.missing_variables():
            raise ConfigError(
                f"notifications.channels.{name}: environment variable {missing[0]} is not set (the url uses it)"
            )


class Route(_Strict):
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1)  # kinds, `incident.*`, `*`
    min_severity: EventSeverity = EventSeverity.INFO
    channels: list[str] = Field(min_length=1)

    @field_validator("events")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for pattern in v:
            if not any(matches(pattern, k) for k in KINDS):
                raise ValueError(f"no event matches {pattern!r} (events: {', '.join(KINDS)})")
        return v

    def selects(self, kind: str, severity: EventSeverity, *, resolving: bool = False) -> bool:
        """A resolving event (the problem is over) passes `min_severity`: it must reach every channel the
        problem's event could have gone to, or its dedupe key would never close there."""
        severe = resolving or severity.rank >= self.min_severity.rank
        return severe and any(matches(p, kind) for p in self.events)


def matches(pattern: str, kind: str) -> bool:
    if pattern in ("*", kind):
        return True
    return pattern.endswith(".*") and kind.startswith(pattern[:-1])


class NotificationSettings(_Strict):
    channels: dict[str, Channel] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _names(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        for name in v:
            if not re.match(CHANNEL_NAME, name):
                raise ValueError(f"channel name {name!r}: use letters, digits, '.', '_' or '-'")
        return v

    @model_validator(mode="after")
    def _routes_name_channels(self) -> NotificationSettings:
        for i, route in enumerate(self.routes):
            for name in route.channels:
                if name not in self.channels:
                    raise ValueError(f"routes[{i}]: no channel named {name!r}")
        return self
