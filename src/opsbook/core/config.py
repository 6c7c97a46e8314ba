"""opsbook.yaml: pydantic v2 models, loading with file:line errors, and the commented example."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from opsbook.core.aws_names import Region, RoleArn, check_role_arn, parse_role_arn, partition_of
from opsbook.core.errors import ConfigError, ConfigNotFound
from opsbook.core.models import Severity
from opsbook.core.notifications import NotificationSettings
from opsbook.core.yamlfile import Located, load_located, printable

DEFAULT_CONFIG = Path("opsbook.yaml")
CONFIG_ENV = "OPSBOOK_CONFIG"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AwsSettings(Strict):
    endpoint_url: str | None = None  # send every AWS call here (the sandbox sets it)
    max_attempts: int = Field(8, ge=1, le=50)
    retry_mode: Literal["adaptive", "standard", "legacy"] = "adaptive"
    default_regions: list[Region] = Field(default_factory=lambda: ["us-east-1"], min_length=1)
    role_session_name: str = "opsbook"
    connect_timeout: float = Field(5.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    sandbox_credentials: bool = False  # fixed fake keys: only for the built-in sandbox's endpoint


class Account(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    id: str | None = Field(None, pattern=r"^\d{12}$")
    role_arn: RoleArn | None = None  # arn:<partition>:iam::<12 digits>:role/<name>, parsed in full
    profile: str | None = None
    external_id: str | None = None
    regions: list[Region] | None = None
    protected: bool = False  # procedures refuse to change anything in a protected account
    endpoint_url: str | None = None  # per-account override of aws.endpoint_url

    @model_validator(mode="after")
    def _role_matches_account(self) -> Account:
        """The role is assumed to read this account: same account id, and regions in its partition."""
        if self.role_arn is None:
            return self
        arn = parse_role_arn(self.role_arn)
        if self.id is not None and arn.account != self.id:
            raise ValueError(f"role_arn is in account {arn.account}, but id is {self.id}")
        for region in self.regions or []:
            if partition_of(region) != arn.partition:
                raise ValueError(f"region {region} is not in role_arn's partition {arn.partition}")
        return self


class EksRef(Strict):
    account: str
    region: str
    name: str


class Cluster(Strict):
    name: str
    kubeconfig: str | None = None
    context: str | None = None
    eks: EksRef | None = None
    log_selectors: list[str] = Field(default_factory=list)  # label selectors for application log review


class StacksSettings(Strict):
    """Where the Atmos stacks are; with `account_map`, runs cover every stack's account, region and cluster."""

    atmos_config: str | None = None  # directory holding atmos.yaml (None: $ATMOS_CLI_CONFIG_PATH, then cwd)
    account_map: dict[str, str] = Field(default_factory=dict)  # "<tenant>-<stage>"/stage/tenant -> account
    role_name: str | None = (
        None  # for mapped account ids not in `accounts`: assume arn:aws:iam::<id>:role/<name>
    )
    cluster_component: str = "eks"
    clusters: bool = True  # also check the EKS cluster of each stack's cluster component

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, v: str | None) -> str | None:
        """Checked as part of the role ARN the estate will build with it, so it never builds a bad one."""
        if v is not None:
            try:
                check_role_arn(f"arn:aws:iam::000000000000:role/{v}")
            except ValueError:
                raise ValueError("must be an IAM role name, [path/]name (e.g. opsbook-read)") from None
        return v


class RunSettings(Strict):
    # targets collected at once; most of a target's time is waiting on AWS, so this is I/O concurrency
    concurrency: int = Field(32, ge=1, le=256)
    # at most this many targets (regions) of one AWS account at once, so one account's throttling
    # buckets are not all drained together; the other slots go to the next accounts (in order)
    per_account: int = Field(4, ge=1, le=64)
    # inventory listings of one target collected at once (independent listings overlap their latency)
    target_concurrency: int = Field(4, ge=1, le=16)
    fail_on: Severity = Severity.HIGH
    # Seconds a target's first call (STS for an account, /version for a cluster) may take; an endpoint
    # that never answers is tried twice, so it is reported after about twice this.
    preflight_timeout: float = Field(5.0, gt=0, le=300)
    # where `opsbook run` (cron, `run due`, the web app's "run now") runs without --on: here, or on the
    # Temporal workers of the `temporal:` section (docs/temporal.md)
    engine: Literal["local", "temporal"] = "local"


class TemporalSettings(Strict):
    """Where `--on temporal` and `opsbook worker` find the Temporal server (docs/temporal.md)."""

    address: str | None = None  # HOST:PORT of the frontend (flags override)
    namespace: str = "default"
    task_queue: str = "opsbook"
    connect_timeout: float = Field(5.0, gt=0, le=120)  # seconds; an unreachable server is exit 3, not a hang
    # a worker that stops heartbeating this long loses its activity to another worker
    heartbeat_seconds: float = Field(30.0, ge=1, le=3600)
    target_timeout_minutes: float = Field(60.0, gt=0, le=1440)  # one target's activity, all attempts
    attempts: int = Field(5, ge=1, le=100)  # per activity (a killed worker's activity is retried)


class ReportSettings(Strict):
    dir: str = "opsbook-report"


class StorageSettings(Strict):
    url: str = "sqlite:///.opsbook/opsbook.db"


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]
DayOfMonth = Annotated[int, Field(ge=1, le=31)] | Literal["last"]


class BackupSettings(Strict):
    """Where backups go (`opsbook plan backup-tfstate`)."""

    # the bucket each Terraform state bucket is copied to; {account_id}, {account}, {state_bucket}, {region}
    # are filled in (the default is the guide's `terraform-state-backup-${AWS_ACCOUNT_ID}`)
    tfstate_bucket: str = "terraform-state-backup-{account_id}"

    @field_validator("tfstate_bucket")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        import string

        names = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        unknown = sorted(names - {"account_id", "account", "state_bucket", "region"})
        if unknown:
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}: use {{account_id}}, {{account}}, "
                             "{state_bucket} or {region}")  # fmt: skip
        return v


class AccessSettings(Strict):
    """IAM users `opsbook plan remove-inactive-users` never touches (guide: Security Operations / Access
    Review): those named here and those carrying `protect_tag` (`key=value`, or `key` for any value)."""

    protected_users: list[str] = Field(default_factory=list)
    protect_tag: str = "opsbook:protected=true"


class SecretMirror(Strict):
    """A Kubernetes Secret that holds a copy of a Secrets Manager secret (`opsbook plan rotate-secret`
    writes the new value into it, then restarts the deployments that mount it)."""

    secret: str = Field(min_length=1)  # the Secrets Manager secret's name (or ARN)
    account: str | None = None  # the secret's account (default: the cluster's `eks.account`, else any)
    cluster: str = Field(min_length=1)  # a `clusters[].name`
    namespace: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")  # the Kubernetes Secret
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]+$")  # its data key
    field: str | None = None  # the JSON field of the secret's value it holds (None: the whole value)


class SecretDatabase(Strict):
    """Where an RDS instance's master password lives when RDS does not manage it (no MasterUserSecret):
    `rotate-secret --db` writes the new password into `field` of `secret`, then sets it on the instance."""

    db: str = Field(min_length=1)  # the DB instance identifier
    secret: str = Field(min_length=1)  # the Secrets Manager secret holding its password
    field: str | None = "password"  # its JSON field (None: the value is the password itself)


class SecretsSettings(Strict):
    mirrors: list[SecretMirror] = Field(default_factory=list)
    databases: list[SecretDatabase] = Field(default_factory=list)


class WeeklyCalendar(Strict):
    """The weekday each weekly review runs on. The defaults are the guide's (and name its checks' cadence:
    the security review's checks are `weekly:monday` wherever the team moves the review)."""

    security: Weekday = "monday"
    backup: Weekday = "tuesday"
    performance: Weekday = "wednesday"
    cost: Weekday = "thursday"
    drift: Weekday = "friday"

    @field_validator("*", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


class MonthlyCalendar(Strict):
    """The day of the month each monthly part runs on: 1-31 (a shorter month runs it on its last day)
    or `last`."""

    audit: DayOfMonth = 1
    capacity: DayOfMonth = 15
    compliance: DayOfMonth = "last"


def _cron(value: Any) -> Any:
    """A 5-field cron expression (minute hour day-of-month month day-of-week) or a croniter nickname
    (@hourly, @daily...); `off`/false/null takes the cadence off the schedule."""
    if value is None or value is False:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a cron expression such as '0 7 * * *', or off")
    text = " ".join(value.split())
    if text.lower() == "off":
        return None
    from croniter import croniter  # a kept cron library (core/cron.py is Velero's own, not for this)

    if not (text.startswith("@") or len(text.split(" ")) == 5) or not croniter.is_valid(text):
        raise ValueError("not a cron expression (minute hour day month weekday, e.g. '0 7 * * *', or off)")
    return text


CronTime = Annotated[str | None, BeforeValidator(_cron)]


class ScheduleTimes(Strict):
    """When `opsbook serve --schedule` / `opsbook schedule run` start each cadence (docs/schedule.md): a cron
    expression in `calendar.timezone`. The cron gives the times; the calendar above gives the days (a review
    runs only on its weekday, a monthly part only on its day of the month), so moving a review's day does
    not need a new cron. `off` takes a cadence off the schedule (`run due` still runs it)."""

    daily: CronTime = "0 7 * * *"
    security: CronTime = "0 9 * * *"
    backup: CronTime = "0 9 * * *"
    performance: CronTime = "0 9 * * *"
    cost: CronTime = "0 9 * * *"
    drift: CronTime = "0 9 * * *"
    audit: CronTime = "0 10 * * *"
    capacity: CronTime = "0 10 * * *"
    compliance: CronTime = "0 10 * * *"


class CalendarSettings(Strict):
    """When `opsbook run due` runs what: daily every day, each weekly review on its day, each monthly part
    on its day of the month; and, for the schedule, at what times in which time zone."""

    daily: bool = True
    weekly: WeeklyCalendar = Field(default_factory=WeeklyCalendar)
    monthly: MonthlyCalendar = Field(default_factory=MonthlyCalendar)
    timezone: str = "UTC"  # an IANA name (Europe/Berlin); the times and the days are read in it
    times: ScheduleTimes = Field(default_factory=ScheduleTimes)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name (e.g. UTC, Europe/Berlin)") from None
        return v


class Config(Strict):
    storage: StorageSettings = Field(default_factory=StorageSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    accounts: list[Account] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    stacks: StacksSettings | None = None
    run: RunSettings = Field(default_factory=RunSettings)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    protect_tag: str = "opsbook:keep=true"
    source: str | None = Field(None, exclude=True)  # where it was loaded from

    @field_validator("accounts")
    @classmethod
    def _unique_accounts(cls, v: list[Account]) -> list[Account]:
        seen: set[str] = set()
        for a in v:
            if a.name in seen:
                raise ValueError(f"account name {a.name!r} is used twice")
            seen.add(a.name)
        return v

    @model_validator(mode="after")
    def _sns_accounts(self) -> Config:
        names = {a.name for a in self.accounts}
        for name, channel in self.notifications.channels.items():
            if channel.sns is not None and channel.sns.account not in names:
                raise ValueError(
                    f"notifications.channels.{name}.sns.account: no account {channel.sns.account!r}"
                )
        return self

    def account(self, name: str) -> Account:
        for a in self.accounts:
            if a.name == name or a.id == name:
                return a
        raise ConfigError(f"{self.source or 'config'}: no account named {name!r}")

    def regions_of(self, account: Account) -> list[str]:
        return account.regions or self.aws.default_regions


def _describe(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "missing":
        return "field required"
    return msg.removeprefix("Value error, ")


def validation_error(located: Located | None, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> str:
    err = exc.errors()[0]
    loc = prefix + tuple(err["loc"])
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    where = located.where(loc) if located else "config"
    extra = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    got = err.get("input")
    got_s = "" if isinstance(got, dict | list) or got is None else f", got {got!r}"
    return printable(f"{where}: {dotted}: {_describe(err)}{got_s}{extra}")


def _located(cfg: Config) -> Located | None:
    """The config file again, for the line:col of a later error (read only when there is one)."""
    if not cfg.source:
        return None
    try:
        return load_located(Path(cfg.source), ConfigError)
    except ConfigError:  # not a file (the sandbox's config), or changed since
        return None


def config_error(cfg: Config, loc: tuple[Any, ...], message: str) -> ConfigError:
    """`file:line:col: dotted.path: message` for a value of a loaded config, on one line."""
    located = _located(cfg)
    where = located.where(loc) if located else (cfg.source or "config")
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    return ConfigError(printable(f"{where}: {dotted}: {message}"))


def resolve_path(path: str | Path | None) -> Path:
    if path:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None, *, required: bool = True) -> Config:
    """`required=False` lets the default ./opsbook.yaml be absent (built-in defaults, the default store);
    a file named by --config or $OPSBOOK_CONFIG must exist, else a typo would read and write another store."""
    p = resolve_path(path)
    if not p.exists():
        if required or path or os.environ.get(CONFIG_ENV):
            raise ConfigNotFound(str(p))
        return Config()
    located = load_located(p, ConfigError)
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{located.where(())}: expected a mapping at the top level")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_error(located, exc)) from None
    return cfg.model_copy(update={"source": str(p)})


def check_settings(cfg: Config, check_id: str, model: type[BaseModel]) -> tuple[BaseModel, dict[str, Any]]:
    """The validated settings of one check plus the engine-level keys (`enabled`, `severity`)."""
    raw = dict(cfg.checks.get(check_id) or {})
    engine_keys: dict[str, Any] = {k: raw.pop(k) for k in ("enabled", "severity") if k in raw}
    try:
        settings = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(validation_error(_located(cfg), exc, ("checks", check_id))) from None
    if "enabled" in engine_keys and not isinstance(engine_keys["enabled"], bool):
        raise config_error(cfg, ("checks", check_id, "enabled"), "expected true or false")
    if "severity" in engine_keys:
        try:
            engine_keys["severity"] = Severity(engine_keys["severity"])
        except ValueError:
            choices = ", ".join(s.value for s in Severity)
            raise config_error(cfg, ("checks", check_id, "severity"), f"expected one of {choices}") from None
    return settings, engine_keys
