"""Test harness: run checkov per stack with its scoped skips (checkov_all.py), Terraform without a binary (terraform_cli.py)."""
