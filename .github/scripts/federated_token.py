#!/usr/bin/env python3
"""Keep a fresh GitHub OIDC token in $AZURE_FEDERATED_TOKEN_FILE for the whole job (kubelogin workload identity).

    python .github/scripts/federated_token.py start [--interval SECONDS] [--max-seconds SECONDS]
    python .github/scripts/federated_token.py stop

``start`` fetches one token now (the step fails when it cannot), writes it to
$AZURE_FEDERATED_TOKEN_FILE (mode 0600, replaced atomically: a reader never sees half a file), then
leaves a background process that fetches a new one every ``--interval`` seconds (default 60; GitHub's
tokens live about five minutes) until ``stop``, ``--max-seconds`` (default 4 h) or the end of the job
(the runner ends the processes a job started). ``stop`` ends it, deletes the token file and prints the
refresher's log. Tokens are never printed or logged: the log holds times and HTTP status codes only.

The token is requested with audience ``api://AzureADTokenExchange`` from $ACTIONS_ID_TOKEN_REQUEST_URL
with $ACTIONS_ID_TOKEN_REQUEST_TOKEN (set by the runner when the job has ``id-token: write``).
``kubelogin get-token --login workloadidentity`` runs once per credential request of the Helm provider,
reads AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST and AZURE_FEDERATED_TOKEN_FILE, and
exchanges whatever the file holds at that moment for an Entra token: a long apply never presents an
expired assertion. (kubelogin 0.2.x prefers the two ACTIONS_ID_TOKEN_REQUEST_* variables themselves
when they reach it, fetching a fresh token per call; the file is the same guarantee for every other
case: docs/review.md.)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

AUDIENCE = "api://AzureADTokenExchange"
TOKEN_FILE_ENV = "AZURE_FEDERATED_TOKEN_FILE"
REQUEST_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
RETRY_SECONDS = 10.0


class TokenError(Exception):
    """No token could be fetched; the message never contains a token."""


def _now() -> str:
    return time.strftime("%H:%M:%S", time.gmtime()) + "Z"


def log(message: str) -> None:
    print(f"{_now()} federated-token: {message}", file=sys.stderr, flush=True)


def token_file() -> Path:
    path = os.environ.get(TOKEN_FILE_ENV)
    if not path:
        raise TokenError(f"{TOKEN_FILE_ENV} is not set")
    return Path(path)


def fetch_token(timeout: float = 30.0) -> str:
    """A new GitHub OIDC token for Entra ID, or TokenError."""
    url, bearer = os.environ.get(REQUEST_URL_ENV), os.environ.get(REQUEST_TOKEN_ENV)
    if not url or not bearer:
        raise TokenError(f"{REQUEST_URL_ENV} / {REQUEST_TOKEN_ENV} are not set: "
                         "the job needs `permissions: id-token: write`")
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    request = urllib.request.Request(
        f"{url}{separator}audience={urllib.parse.quote(AUDIENCE, safe='')}",
        headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json; api-version=2.0"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the runner's URL)
            body = json.load(response)
    except urllib.error.HTTPError as err:
        raise TokenError(f"the token request failed with HTTP {err.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise TokenError(f"the token request failed ({type(err).__name__})") from None
    token = body.get("value") if isinstance(body, dict) else None
    if not isinstance(token, str) or token.count(".") != 2:
        raise TokenError("the token response holds no JWT in `value`")
    return token


def seconds_left(token: str) -> int | None:
    """Lifetime left according to the token's ``exp`` claim (not verified: for the log only)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"] - time.time())
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def write_token(path: Path, token: str) -> None:
    """Replace ``path`` with ``token`` atomically, readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp: mode 0600
            out.write(token)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refresh_once(path: Path) -> None:
    token = fetch_token()
    write_token(path, token)
    left = seconds_left(token)
    log("token refreshed" + (f", valid for {left} s" if left is not None else ""))


def loop(path: Path, interval: float, max_seconds: float) -> int:
    stop_at = time.monotonic() + max_seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    wait = interval
    while True:
        time.sleep(max(0.0, min(wait, stop_at - time.monotonic())))
        if time.monotonic() >= stop_at:
            log(f"stopping after {max_seconds:.0f} s (--max-seconds)")
            return 0
        if not path.parent.is_dir():
            log(f"{path.parent} is gone: the job ended; stopping")
            return 0
        try:
            refresh_once(path)
            wait = interval
        except TokenError as err:
            log(f"refresh failed, retrying in {RETRY_SECONDS:.0f} s: {err}")
            wait = min(RETRY_SECONDS, interval)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def start(path: Path, interval: float, max_seconds: float) -> int:
    pid_file, log_file = _sidecar(path, ".pid"), _sidecar(path, ".log")
    if pid_file.exists():
        raise TokenError(f"a refresher already runs for {path} ({pid_file}); run `stop` first")
    refresh_once(path)
    with open(log_file, "a", encoding="utf-8") as log_out:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "_loop", "--interval", str(interval),
             "--max-seconds", str(max_seconds)],
            stdin=subprocess.DEVNULL, stdout=log_out, stderr=log_out, start_new_session=True, close_fds=True)
    pid_file.write_text(f"{child.pid}\n", encoding="ascii")
    log(f"refreshing {path} every {interval:g} s in the background (pid {child.pid}, log {log_file})")
    return 0


def stop(path: Path) -> int:
    pid_file, log_file = _sidecar(path, ".pid"), _sidecar(path, ".log")
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text(encoding="ascii").strip()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    if log_file.exists():
        print(log_file.read_text(encoding="utf-8"), end="", file=sys.stderr)
        log_file.unlink(missing_ok=True)
    log(f"stopped; {path} deleted")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "stop", "_loop"))
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between refreshes (default 60)")
    parser.add_argument("--max-seconds", type=float, default=4 * 3600.0,
                        help="stop refreshing after this long (default 4 h; the job's timeout is shorter)")
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.max_seconds <= 0:
        parser.error("--interval and --max-seconds must be positive")
    try:
        path = token_file()
        if args.command == "start":
            return start(path, args.interval, args.max_seconds)
        if args.command == "stop":
            return stop(path)
        return loop(path, args.interval, args.max_seconds)
    except TokenError as err:
        print(f"::error::federated-token: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
