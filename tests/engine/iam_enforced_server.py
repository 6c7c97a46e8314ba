"""A dedicated sandbox AWS server that enforces IAM (moto's own access control), for the `iam policy`
sufficiency test: run as `python -m tests.engine.iam_enforced_server`, it prints one JSON line (url) and
serves on 127.0.0.1 until stdin closes. It is separate from the session sandbox, whose tests run with
IAM not enforced. Seeding is done by the test over HTTP before it switches enforcement on."""

from __future__ import annotations

import json
import os
import sys

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.server import AwsServer
from opsbook.sandbox.runtime import reset_moto


def main() -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "seed", "AWS_SECRET_ACCESS_KEY": "seed"})
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    server = AwsServer(SandboxData())
    url = server.start(0)
    reset_moto(url)
    print(json.dumps({"url": url}), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
