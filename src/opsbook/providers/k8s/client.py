"""One `kubernetes.client.ApiClient` per cluster, from a kubeconfig context or from EKS, counted for --stats.

    clients = ClusterClients(cfg, stats, session_factory)
    api = clients.api_client(cluster, target_key="k8s:my-cluster")   # cached per cluster
    clients.preflight(cluster, api)                                  # GET /version, fail fast
    CoreV1Api(api).list_node()
    clients.close()

EKS: `describe_cluster` (through the AWS SessionFactory: profiles, assume-role, sandbox endpoint) gives the
endpoint and CA; the bearer token is made by opsbook (`eks_token.py`) and re-signed before it expires, via
the client configuration's `refresh_api_key_hook`. The describe call is counted under the cluster target.

Every request is counted as `k8s:<verb> <resource>` (e.g. `k8s:list pods`); a 401/403 answer raises
AccessDenied("<verb> <resource>") and a connection failure TargetUnavailable("... endpoint unreachable").
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from opsbook.core.config import Cluster, Config
from opsbook.core.errors import ConfigError, OpsbookError, TargetUnavailable, one_line
from opsbook.providers.aws.session import SessionFactory, classify
from opsbook.providers.aws.stats import THROTTLED_STATUS, ApiStats
from opsbook.providers.k8s.eks_token import EksTokenSource
from opsbook.providers.k8s.errors import classify as classify_k8s
from opsbook.providers.k8s.errors import denied, unreachable
from opsbook.providers.k8s.requests import rbac_call, status_message

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
RETRIES = 1  # one more try on no answer or a broken connection: as the AWS preflight, twice in all
PAGE_SIZE = 500


class CountingApiClient(k8s_client.ApiClient):
    """An ApiClient that counts its requests and raises opsbook errors for 401/403 and dead endpoints."""

    def __init__(self, configuration: Any, *, stats: ApiStats, target_key: str, where: str) -> None:
        super().__init__(configuration=configuration)
        self.stats = stats
        self.target_key = target_key
        self.where = where

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        verb, resource = rbac_call(method, url)
        operation = f"{verb} {resource}"
        self.stats.record(self.target_key, "k8s", operation)
        try:
            response = super().call_api(
                method,
                url,
                header_params=header_params,
                body=body,
                post_params=post_params,
                _request_timeout=_request_timeout or (CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except OpsbookError:
            self.stats.record_answer(self.target_key, "k8s", operation, failed=True)
            raise
        except Exception as exc:  # noqa: BLE001 - urllib3 connection/TLS failures
            import urllib3.exceptions

            self.stats.record_answer(self.target_key, "k8s", operation, failed=True)
            if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError):
                raise unreachable(self.where, exc) from None
            raise
        if response.status >= 400:
            self.stats.record_answer(
                self.target_key, "k8s", operation, throttled=response.status == THROTTLED_STATUS, failed=True
            )
        if response.status in (401, 403):
            response.read()
            raise denied(response.status, verb, resource, status_message(response.data))
        return response

    # -- raw JSON reads: no typed deserialisation (fast, tolerant of fields the models lack) --------------

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": self.user_agent}
        for auth in self.configuration.auth_settings().values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[auth["key"]] = auth["value"]
        return headers

    def get(self, path: str, query: dict[str, Any] | None = None, accept: str = "application/json") -> bytes:
        """GET `path` (e.g. `/api/v1/nodes`); the body on 2xx, else kubernetes' ApiException."""
        from kubernetes.client.exceptions import ApiException

        params = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.configuration.host.rstrip("/") + path + ("?" + urlencode(params) if params else "")
        headers = self._headers(accept)
        response = self.call_api("GET", url, header_params=headers)
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        data: bytes = response.data
        return data

    def delete(self, path: str) -> bool:
        """DELETE `path` (e.g. `/api/v1/namespaces/x`) without loading a typed API; False when it was gone."""
        from kubernetes.client.exceptions import ApiException

        url = self.configuration.host.rstrip("/") + path
        response = self.call_api("DELETE", url, header_params=self._headers("application/json"))
        response.read()
        if response.status == 404:
            return False
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        return True

    def server_apply(self, path: str, body: dict[str, Any], field_manager: str = "opsbook") -> Any:
        """Server-side apply of `body` at `path` (`kubectl apply --server-side --force-conflicts`): created
        when missing, else the fields it names set; the object as the server returns it."""
        from kubernetes.client.exceptions import ApiException

        query = urlencode({"fieldManager": field_manager, "force": "true"})
        url = self.configuration.host.rstrip("/") + path + "?" + query
        headers = self._headers("application/json") | {"Content-Type": "application/apply-patch+yaml"}
        response = self.call_api("PATCH", url, header_params=headers, body=body)
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        return json.loads(response.data)

    def get_json(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return json.loads(self.get(path, query))

    def list_items(
        self, path: str, *, label_selector: str | None = None, page_size: int = PAGE_SIZE
    ) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following `continue` pages of `page_size`."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            doc = self.get_json(
                path, {"limit": page_size, "continue": token, "labelSelector": label_selector}
            )
            items.extend(doc.get("items") or [])
            token = (doc.get("metadata") or {}).get("continue") or None
            if not token:
                return items


class ClusterClients:
    """Makes and caches one counted ApiClient per configured cluster; `close()` releases them all."""

    def __init__(self, cfg: Config, stats: ApiStats, sessions: SessionFactory | None = None) -> None:
        self.cfg = cfg
        self.stats = stats
        self.sessions = sessions or SessionFactory(cfg, stats)
        self._lock = threading.Lock()
        self._clients: dict[str, CountingApiClient] = {}
        self._tokens: dict[str, EksTokenSource] = {}
        self._tmp: Path | None = None

    def cluster(self, name: str) -> Cluster:
        for c in self.cfg.clusters:
            if c.name == name:
                return c
        raise ConfigError(f"{self.cfg.source or 'config'}: no cluster named {name!r}")

    def api_client(self, cluster: Cluster, target_key: str | None = None) -> CountingApiClient:
        key = target_key or f"k8s:{cluster.name}"
        with self._lock:
            cached = self._clients.get(cluster.name)
        if cached is not None:
            return cached
        if cluster.eks is not None:
            conf = self._eks_configuration(cluster, key)
        elif cluster.kubeconfig or cluster.context:
            conf = self._kubeconfig_configuration(cluster)
        else:
            raise ConfigError(f"cluster {cluster.name}: set `eks:` or `kubeconfig:`/`context:`")
        conf.retries = RETRIES
        api = CountingApiClient(conf, stats=self.stats, target_key=key, where=f"cluster {cluster.name}")
        with self._lock:
            self._clients.setdefault(cluster.name, api)
            return self._clients[cluster.name]

    def preflight(self, api: CountingApiClient) -> dict[str, Any]:
        """GET /version: the cluster answers and accepts our credentials (else TargetUnavailable)."""
        from opsbook.core.errors import AccessDenied

        timeout = self.cfg.run.preflight_timeout
        try:
            info = k8s_client.VersionApi(api).get_code(
                _request_timeout=(min(CONNECT_TIMEOUT, timeout), timeout)
            )
        except AccessDenied as exc:
            raise TargetUnavailable(f"{api.where}: {exc.detail or exc}") from None
        except OpsbookError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. HTTP 500 from /version, a body that is not JSON
            mapped = classify_k8s(exc, "get /version", api.where)
            if isinstance(mapped, OpsbookError):
                raise mapped from None
            raise TargetUnavailable(
                f"{api.where}: GET /version failed: {type(exc).__name__}: {one_line(exc)}"
            ) from None
        return {
            "git_version": getattr(info, "git_version", None),
            "platform": getattr(info, "platform", None),
        }

    def token_source(self, cluster_name: str) -> EksTokenSource | None:
        return self._tokens.get(cluster_name)

    def _kubeconfig_configuration(self, cluster: Cluster) -> Any:
        conf = type.__call__(k8s_client.Configuration)
        path = str(Path(cluster.kubeconfig).expanduser()) if cluster.kubeconfig else None
        try:
            k8s_config.load_kube_config(
                config_file=path, context=cluster.context, client_configuration=conf, persist_config=False
            )
        except (k8s_config.ConfigException, OSError) as exc:
            raise ConfigError(
                f"cluster {cluster.name}: kubeconfig {path or '~/.kube/config'}: {exc}"
            ) from None
        _trim_tokens(conf)
        return conf

    def _eks_configuration(self, cluster: Cluster, target_key: str) -> Any:
        ref = cluster.eks
        assert ref is not None
        account = self.cfg.account(ref.account)
        self.sessions.preflight(account)  # a dead account fails fast, not after eks's full retries
        session = self.sessions.session(account)
        endpoint_url = self.sessions.endpoint(account)
        eks = session.client(
            "eks",
            region_name=ref.region,
            endpoint_url=endpoint_url,
            config=self.sessions.botocore_config,
        )
        self.stats.attach(eks, target_key, "eks")
        try:
            described = eks.describe_cluster(name=ref.name)["cluster"]
        except Exception as exc:  # noqa: BLE001 - classified below
            raise classify(exc, "eks:DescribeCluster", f"cluster {cluster.name}") from None
        host = described.get("endpoint")
        ca = (described.get("certificateAuthority") or {}).get("data")
        if not host:
            raise TargetUnavailable(
                f"cluster {cluster.name}: EKS reports no endpoint (status {described.get('status')})"
            )
        conf = type.__call__(k8s_client.Configuration)
        conf.host = host
        if ca:
            conf.ssl_ca_cert = str(self._write_ca(cluster.name, ca))
        source = EksTokenSource(session, ref.name, ref.region, endpoint_url)
        self._tokens[cluster.name] = source

        def refresh(c: Any) -> None:
            c.api_key["BearerToken"] = "Bearer " + source.get()

        refresh(conf)
        conf.refresh_api_key_hook = refresh
        return conf

    def _write_ca(self, name: str, data: str) -> Path:
        with self._lock:
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="opsbook-k8s-"))
        try:
            pem = base64.b64decode(data, validate=True)
        except ValueError:
            raise TargetUnavailable(f"cluster {name}: EKS certificateAuthority is not base64") from None
        path = self._tmp / f"{name}-ca.crt"
        path.write_bytes(pem)
        return path

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            tmp, self._tmp = self._tmp, None
        for api in clients:
            try:
                api.close()
            except Exception:  # noqa: BLE001, S110 - best effort on the way out
                pass
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _trim_tokens(conf: Any) -> None:
    """Strip the bearer token as client-go does: a `tokenFile` ending in a newline (`echo TOKEN > file`)
    would otherwise be an invalid header. The kubeconfig loader sets the token again before every request
    (its `refresh_api_key_hook`, which also puts itself back as the hook), so the trim wraps that hook."""
    reload = conf.refresh_api_key_hook

    def trimmed(c: Any) -> None:
        if reload is not None:
            reload(c)
            c.refresh_api_key_hook = trimmed
        for key, value in list(c.api_key.items()):
            if isinstance(value, str):
                c.api_key[key] = value.strip()

    trimmed(conf)
    conf.refresh_api_key_hook = trimmed
