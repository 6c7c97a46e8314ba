"""boto3 sessions per account: default chain, profile, or assume-role; endpoint override; adaptive retries.

One `SessionFactory` per run. Clients are cached per (account, region, service) and every call they make
is counted in `ApiStats` for `--stats`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
import botocore.session
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

from opsbook.core.config import Account, Config
from opsbook.core.errors import AccessDenied, TargetFailed, TargetUnavailable, one_line
from opsbook.providers.aws.models import lean_loader, parse_timestamp
from opsbook.providers.aws.stats import ApiStats

DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "Forbidden",
}
CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
}


# No answer, or the connection broke: the target is unreachable (checked by type, never by message).
# ConnectionError: refused, DNS, connect timeout, proxy; HTTPClientError: read timeout, connection reset.
UNREACHABLE = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)

SANDBOX_KEY = "opsbooksandbox"
T = TypeVar("T")


class SessionFactory:
    def __init__(self, config: Config, stats: ApiStats | None = None) -> None:
        self.config = config
        self.stats = stats or ApiStats()
        self._lock = threading.Lock()
        self._create_lock = threading.Lock()
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._checked: set[str] = set()
        self._account_locks: dict[str, threading.RLock] = {}
        self._loader = lean_loader()
        self._failed: dict[str, Exception] = {}
        self._botocore_config = botocore.config.Config(
            retries={"mode": config.aws.retry_mode, "max_attempts": config.aws.max_attempts},
            connect_timeout=config.aws.connect_timeout,
            read_timeout=config.aws.read_timeout,
            max_pool_connections=32,
        )

    def preflight(self, account: Account) -> None:
        """Fail fast (few retries) when an account's credentials or endpoint do not work."""
        with self._account_lock(account):
            self._preflight(account)

    def _preflight(self, account: Account) -> None:
        """Probed once per account per run: a dead account's failure is remembered (like a failed
        AssumeRole), so its other regions and clusters do not wait for the probe again."""
        with self._lock:
            if account.name in self._checked:
                return
            failed = self._failed.get(account.name)
        if failed is not None:
            raise failed
        if account.role_arn:
            self.session(account)  # AssumeRole is the check
        else:
            try:
                sts = self.session(account).client(
                    "sts",
                    region_name=self.config.regions_of(account)[0],
                    endpoint_url=self.endpoint(account),
                    config=probe_config(self.config),
                )
                self.stats.attach(sts, f"account:{account.name}", "sts")
                probe(sts.get_caller_identity, attempts=self.config.aws.max_attempts)
            except Exception as exc:  # noqa: BLE001 - classified below
                err = classify(exc, "sts:GetCallerIdentity", f"account {account.name}")
                with self._lock:
                    self._failed[account.name] = err
                raise err from None
        with self._lock:
            self._checked.add(account.name)

    @property
    def botocore_config(self) -> botocore.config.Config:
        """The retry/timeout policy every client of the run shares."""
        return self._botocore_config

    def endpoint(self, account: Account) -> str | None:
        return account.endpoint_url or self.config.aws.endpoint_url

    def session(self, account: Account) -> boto3.Session:
        """One session per account per run: regions of an account share one AssumeRole."""
        with self._account_lock(account):
            return self._session(account)

    def _account_lock(self, account: Account) -> threading.RLock:
        with self._lock:
            return self._account_locks.setdefault(account.name, threading.RLock())

    def _session(self, account: Account) -> boto3.Session:
        with self._lock:
            cached = self._sessions.get(account.name)
            failed = self._failed.get(account.name)
        if cached is not None:
            return cached
        if failed is not None:
            raise failed
        base = self._botocore_session(account.profile)  # the shared loader: STS's model parsed once
        if self.config.aws.sandbox_credentials:
            base.set_credentials(SANDBOX_KEY, SANDBOX_KEY)
        if account.role_arn:
            base = self._assume(base, account)
        session = boto3.Session(botocore_session=base)
        with self._lock:
            self._sessions.setdefault(account.name, session)
            return self._sessions[account.name]

    def _botocore_session(self, profile: str | None) -> botocore.session.Session:
        """Sessions of one run share one (lean) model loader: each service model is parsed once, not per account."""
        session = botocore.session.Session(profile=profile) if profile else botocore.session.Session()
        session.register_component("data_loader", self._loader)
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
        return session

    def _assume(self, base: botocore.session.Session, account: Account) -> botocore.session.Session:
        """A session whose credentials come from AssumeRole and refresh themselves before they expire
        (a run longer than the role's session duration keeps working). The first AssumeRole happens here,
        so a role that cannot be assumed fails the account's targets at once."""
        try:
            source = base.get_credentials()
        except Exception as exc:  # noqa: BLE001 - e.g. a profile that does not exist
            err = classify(exc, "sts:AssumeRole", f"account {account.name}")
            with self._lock:
                self._failed[account.name] = err
            raise err from None
        if source is None:
            err = TargetUnavailable(f"account {account.name}: no credentials to assume {account.role_arn}")
            with self._lock:
                self._failed[account.name] = err
            raise err
        region = self.config.regions_of(account)[0]

        probing = True  # until the first AssumeRole succeeds it is the account's probe (fails fast)

        def sts_client(service: str, **kwargs: Any) -> Any:
            client = base.create_client(
                service,
                region_name=region,
                endpoint_url=self.endpoint(account),
                config=probe_config(self.config) if probing else self._botocore_config,
                **kwargs,
            )
            self.stats.attach(client, f"account:{account.name}", service)
            return client

        extra: dict[str, Any] = {"RoleSessionName": self.config.aws.role_session_name}
        if account.external_id:
            extra["ExternalId"] = account.external_id
        fetcher = AssumeRoleCredentialFetcher(sts_client, source, account.role_arn, extra_args=extra)
        creds = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
        try:
            probe(creds.get_frozen_credentials, attempts=self.config.aws.max_attempts)
        except Exception as exc:  # noqa: BLE001 - classified below
            err = classify(exc, "sts:AssumeRole", f"account {account.name}")
            with self._lock:
                self._failed[account.name] = err
            raise err from None
        probing = False  # refreshes later in the run retry as every other call does
        assumed = self._botocore_session(None)
        assumed._credentials = creds  # botocore has no public setter for refreshable credentials
        return assumed

    def client(self, account: Account, region: str, service: str, target_key: str) -> Any:
        key = (account.name, region, service)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        session = self.session(account)
        # One client made at a time: botocore's model cache is not guarded, so threads starting together
        # each parsed EC2's model (tens of MB) before the first had cached it (a 20-target run peaked at
        # 1 GB), and a target's parallel listings would each make their own client. Making a client is
        # CPU work under the GIL anyway.
        with self._create_lock:
            with self._lock:
                cached = self._clients.get(key)
            if cached is not None:
                return cached
            client = session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint(account),
                config=self._botocore_config,
            )
            self.stats.attach(client, target_key, service)
            with self._lock:
                self._clients[key] = client
        return client

    def release(self, account: Account, region: str) -> None:
        """Drop (and close) the clients of one account x region once its target is done: a client holds
        its own copy of the service's shapes and endpoint rules (megabytes with EC2's), so keeping every
        target's clients for the whole run made memory grow with the number of accounts."""
        self._close(account, region)

    def forget(self, account: Account) -> None:
        """Drop the account's session and any client still open (its run is over). Whether the account
        answered (or why not) is kept: a later target of it is told at once, without a new probe."""
        with self._lock:
            self._sessions.pop(account.name, None)
        self._close(account, None)

    def _close(self, account: Account, region: str | None) -> None:
        with self._lock:
            keys = [k for k in self._clients if k[0] == account.name and region in (None, k[1])]
            clients = [self._clients.pop(k) for k in keys]
        for client in clients:
            client.close()


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def classify(exc: BaseException, action: str, where: str) -> Exception:
    """Map a botocore exception to opsbook's error tree (AccessDenied / TargetUnavailable)."""
    code = error_code(exc)
    if code in DENIED_CODES or code.endswith("AccessDenied"):
        return AccessDenied(action)
    if code in CREDENTIAL_CODES:
        return TargetUnavailable(f"{where}: credentials rejected ({code})")
    if isinstance(exc, UNREACHABLE):
        return TargetUnavailable(f"{where}: endpoint unreachable ({one_line(exc)})")
    if isinstance(exc, botocore.parsers.ResponseParserError):
        return TargetFailed(
            f"{where}: {action}: the endpoint's answer is not an AWS response ({one_line(exc)})"
        )
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.ProfileNotFound):
        return TargetUnavailable(f"{where}: {exc}")
    if isinstance(exc, botocore.exceptions.ClientError):
        msg = exc.response.get("Error", {}).get("Message", "")
        return TargetUnavailable(f"{where}: {action} failed: {code}: {one_line(msg)}")
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return TargetUnavailable(f"{where}: {one_line(exc)}")
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


def probe_config(cfg: Config) -> botocore.config.Config:
    """A target's first call: no botocore retries (`probe` decides), short timeouts."""
    timeout = cfg.run.preflight_timeout
    return botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=min(cfg.aws.connect_timeout, timeout),
        read_timeout=timeout,
    )


THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "PriorRequestNotComplete",
}


def transient(exc: botocore.exceptions.ClientError) -> bool:
    """Throttled, or the service's own 5xx: worth another try."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return error_code(exc) in THROTTLED or int(status) >= 500


def probe(call: Callable[[], T], *, attempts: int, silent_attempts: int = 2) -> T:
    """`call` (made with `probe_config`) retried the way a target's first call should be: throttling and
    5xx up to `attempts` times with jittered backoff (as botocore would: a throttled account still gets
    in), but no answer at all only `silent_attempts` times, so a black-holed endpoint is reported after
    about `silent_attempts x run.preflight_timeout` seconds instead of minutes."""
    silent = 0
    for n in range(1, attempts + 1):
        try:
            return call()
        except botocore.exceptions.ClientError as exc:
            if not transient(exc) or n == attempts:
                raise
        except UNREACHABLE:
            silent += 1
            if silent >= silent_attempts or n == attempts:
                raise
        time.sleep(random.uniform(0, min(0.05 * 2**n, 2.0)))  # jittered backoff
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
