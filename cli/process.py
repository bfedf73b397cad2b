"""Process set-up before cdktf loads: which Node runs jsii, and where synth writes.

No cdktf import here: this runs before the (slow) jsii runtime starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Node 22 from package.json (the system Node 20 is end-of-life for jsii and prints a warning box).
LOCAL_NODE = ROOT / "node_modules" / "node" / "bin" / "node"
#: Makes jsii's Node process leave Ctrl-C to Python (see the file).
NODE_PRELOAD = Path(__file__).resolve().parent / "node_preload.cjs"


def use_supported_node() -> None:
    """Point jsii at the project's Node 22 unless JSII_NODE is already set; leave Ctrl-C to Python."""
    options = os.environ.get("NODE_OPTIONS", "")
    if str(NODE_PRELOAD) not in options:
        os.environ["NODE_OPTIONS"] = f"{options} --require {json.dumps(str(NODE_PRELOAD))}".strip()
    if "JSII_NODE" not in os.environ and LOCAL_NODE.exists():
        os.environ["JSII_NODE"] = str(LOCAL_NODE)
        # cdktf 0.21's bundled JS calls util.isArray, deprecated in Node 22 (DEP0044): silence
        # exactly that one warning, which we cannot fix (upstream is archived).
        options = os.environ.get("NODE_OPTIONS", "")
        if "DEP0044" not in options:
            os.environ["NODE_OPTIONS"] = f"{options} --disable-warning=DEP0044".strip()


def outdir() -> Path:
    """Where synth writes: $CDKTF_OUTDIR (set by the cdktf CLI) or ./cdktf.out."""
    return Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
