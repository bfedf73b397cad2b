"""No secret in the synthesized output: every stack's JSON, the manifest and every other file written.

A secret may only appear as a Terraform reference (``${random_password.x.result}``,
``${azurerm_key_vault_secret.x.value}``...), never as a literal. The scanner walks
JSON (and YAML embedded in strings, such as Helm ``values``) with the key path of
each value, so it can judge secret-named fields, and runs content patterns on
every string. Negative tests plant each kind of literal and prove it is caught.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

# --- the scanner --------------------------------------------------------------------------------

#: A field whose (normalized) name ends like this holds a secret value: only a reference is allowed.
SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|pwd|client_secret|shared_secret|secret_value|token|sas|sas_token|sas_url|connection_string|"
    r"access_key|account_key|primary_key|secondary_key|shared_key|master_key|storage_key|private_key|"
    r"api_key|apikey|client_key|license_key)(_wo)?$")
#: Fields whose name says nothing either way: judged by entropy only (a random-looking literal is refused).
#: A bare ``secret`` is usually the *name* of a Secret (chart ``license.file.secret``, volume ``secret``).
AMBIGUOUS_NAME = re.compile(r"(^|_)(key|value|data|auth|credentials?|cert|license|signature|sig|secret)$")
TOKEN = re.compile(r"\$\{")

CONTENT_PATTERNS: dict[str, re.Pattern[str]] = {
    "PEM block": re.compile(r"-----BEGIN [A-Z0-9 ]+-----"),
    "storage AccountKey=": re.compile(r"AccountKey=(?!\$\{)[^;\s\"']+"),
    "SharedAccessSignature/SharedAccessKey": re.compile(r"SharedAccess(Signature|Key)=(?!\$\{)[^;\s\"']+"),
    "SAS token (sv=...&sig=)": re.compile(r"sv=\d{4}-\d{2}-\d{2}&\S*?sig=(?!\$\{)[A-Za-z0-9%+/=]{8,}"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@${}]+:(?!\$\{)[^@\s/${}]+@"),
    "password= in a connection string": re.compile(r"(?i)\b(password|pwd)\s*=\s*(?!\$\{)[^\s;&'\"${}]+"),
}


@dataclass(frozen=True)
class Finding:
    where: str  # file and key path
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.excerpt}"


def normalize(name: str) -> str:
    """``administratorPassword`` / ``admin-password`` / ``a.b.Password`` -> ``..._password``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def entropy(text: str) -> float:
    counts, n = Counter(text), len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(text: str) -> bool:
    """A base64/url-safe string of >= 20 chars at >= 4.3 bits/char, or >= 32 hex chars (not a GUID)."""
    if re.fullmatch(r"[A-Za-z0-9+/=_-]{20,}", text) and entropy(text) >= 4.3:
        return True
    return bool(re.fullmatch(r"[0-9a-fA-F]{32,}", text)) and entropy(text) >= 3.0


def _literal(value: str) -> str:
    """The part of a string that is not a ``${...}`` reference."""
    return re.sub(r"\$\{[^}]*\}", "", value).strip()


def _excerpt(value: str) -> str:
    return (value[:6] + "...") if len(value) > 6 else value  # never echo a whole secret into a test log


def scan_value(value: Any, where: str, name: str = "") -> Iterator[Finding]:
    """Findings in one JSON/YAML value, ``name`` being the field that holds it."""
    if isinstance(value, dict):
        is_k8s_secret = value.get("kind") == "Secret"
        # {name: X, value: V} pairs (Helm `set`, container `env`): V is the field named X.
        pair_name = value.get("name") if isinstance(value.get("name"), str) and "value" in value else None
        for key, item in value.items():
            field = pair_name if (pair_name and key == "value") else str(key)
            yield from scan_value(item, f"{where}.{key}", field)
            if is_k8s_secret and key in ("data", "stringData") and isinstance(item, dict):
                for k, v in item.items():
                    if isinstance(v, str) and _literal(v):
                        yield Finding(f"{where}.{key}.{k}", "literal in a Kubernetes Secret", _excerpt(v))
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from scan_value(item, f"{where}[{i}]", name)
        return
    if not isinstance(value, str):
        return
    yield from scan_text(value, where)
    literal = _literal(value)
    field = normalize(name)
    if literal and SECRET_NAME.search(field) and not TOKEN.search(value):
        yield Finding(where, f"literal in secret-named field {name!r}", _excerpt(value))
    elif literal and AMBIGUOUS_NAME.search(field) and looks_random(literal):
        yield Finding(where, f"high-entropy literal in field {name!r}", _excerpt(value))
    if "\n" in value and ":" in value:  # YAML embedded in a string (Helm values, manifests)
        try:
            embedded = yaml.safe_load(value)
        except yaml.YAMLError:
            return
        if isinstance(embedded, (dict, list)):
            yield from scan_value(embedded, f"{where}<yaml>", name)


def scan_text(text: str, where: str) -> Iterator[Finding]:
    for kind, pattern in CONTENT_PATTERNS.items():
        for match in pattern.finditer(text):
            yield Finding(where, kind, _excerpt(match.group(0)))


def scan_file(path: Path, root: Path) -> list[Finding]:
    rel = str(path.relative_to(root))
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        return list(scan_value(json.loads(text), rel))
    if path.suffix in (".yaml", ".yml"):
        return list(scan_value(list(yaml.safe_load_all(text)), rel)) + list(scan_text(text, rel))
    return list(scan_text(text, rel))


def scan_tree(root: Path) -> tuple[list[Path], list[Finding]]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return files, [f for p in files for f in scan_file(p, root)]


# --- outputs carrying secrets must be sensitive ---------------------------------------------------

_REF = re.compile(r"\b((?:data\.|ephemeral\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?(?:\.[A-Za-z0-9_]+(?:\[[^\]]*\])?)*)")


def secret_references(expression: str, stack: dict[str, Any], _seen: frozenset[str] = frozenset()) -> list[str]:
    """The references in a Terraform expression that carry a secret value."""
    sensitive_vars = {n for n, v in stack.get("variable", {}).items() if v.get("sensitive")}
    found = []
    for body in re.findall(r"\$\{(.*?)\}", expression, flags=re.S):
        for ref in _REF.findall(body):
            parts = re.sub(r"\[[^\]]*\]", "", ref).split(".")
            head = parts[1:] if parts[0] in ("data", "ephemeral") else parts
            rtype, attr = head[0], normalize(parts[-1])
            if rtype in ("random_password",) or ref.startswith("ephemeral."):
                found.append(ref)
            elif rtype == "azurerm_key_vault_secret" and attr == "value":  # resource or data source
                found.append(ref)
            elif rtype == "var" and len(parts) > 1 and parts[1] in sensitive_vars:
                found.append(ref)
            elif rtype == "local" and len(parts) > 1 and parts[1] not in _seen:
                local = stack.get("locals", {}).get(parts[1])
                if local is not None:
                    found += secret_references(json.dumps(local), stack, _seen | {parts[1]})
            elif len(parts) > 2 and (SECRET_NAME.search(attr) or attr.startswith("kube_config")
                                     or attr.startswith("kube_admin_config") or attr == "client_certificate"):
                found.append(ref)
    return found


def unsensitive_secret_outputs(stack: dict[str, Any]) -> list[str]:
    problems = []
    for name, output in stack.get("output", {}).items():
        refs = secret_references(json.dumps(output.get("value")), stack)
        if refs and output.get("sensitive") is not True:
            problems.append(f"output {name!r} carries {sorted(set(refs))} but is not sensitive = true")
    return problems


# --- the synthesized output of both configs -------------------------------------------------------

def test_no_secret_literal_in_any_synthesized_file(every_synth):
    files, findings = scan_tree(every_synth.outdir)
    names = {str(p.relative_to(every_synth.outdir)) for p in files}
    assert "manifest.json" in names and all(f"stacks/{s}/cdk.tf.json" in names for s in every_synth.stacks)
    assert not findings, f"{len(findings)} secret-looking literal(s) in {every_synth.name}:\n" + \
        "\n".join(map(str, findings))


def test_every_output_carrying_a_secret_is_sensitive(every_synth):
    problems = [f"{stack}: {p}" for stack, body in every_synth.stacks.items() for p in unsensitive_secret_outputs(body)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name, expected", [
    ("postgres-admin-password", [("azurerm_key_vault_secret", "value_wo"),
                                 ("azurerm_postgresql_flexible_server", "administrator_password_wo")]),
    # Package Manager's login: only in Key Vault (the bootstrap Job sets it on the login in-cluster).
    ("postgres-app-password", [("azurerm_key_vault_secret", "value_wo")]),
    ("ppm-encryption-key", [("azurerm_key_vault_secret", "value_wo")]),
])
def test_generated_password_is_referenced_only_by_the_write_only_arguments(every_synth, name, expected):
    """Each generated value is an ephemeral random_password referenced only by write-only arguments
    (the admin password: the server's administrator_password_wo and its vault secret's value_wo); no
    output, no other field."""
    stacks = every_synth.stacks
    passwords = {(s, n) for s, body in stacks.items() for n in body.get("ephemeral", {}).get("random_password", {})}
    assert passwords == {("data", "postgres-admin-password"), ("data", "postgres-app-password"),
                         ("data", "ppm-encryption-key")}, passwords
    needle = f"random_password.{name}.result"
    uses = sorted(
        (rtype, field)
        for body in stacks.values()
        for section in ("resource", "output", "locals", "data")
        for rtype, by_name in (body.get(section) or {}).items() if isinstance(by_name, dict)
        for entry in by_name.values() if isinstance(entry, dict)
        for field, value in entry.items() if needle in json.dumps(value)
    )
    assert uses == expected


def test_the_encryption_key_is_512_random_bytes_in_hex(any_synth):
    """[PPM] appendix/encryption, rstudio/rskey crypt/key.go: a key is 512 bytes, hex-encoded; random_password
    draws each character uniformly from the enabled classes (terraform-provider-random internal/random/string.go)."""
    key = any_synth.stacks["data"]["ephemeral"]["random_password"]["ppm-encryption-key"]
    assert key["length"] == 1024
    # upper/lower off; numeric and special on (numeric left at the provider's default, true).
    assert (key["upper"], key["lower"], key.get("numeric", True), key["special"]) == (False, False, True, True)
    assert key["override_special"] == "abcdef"  # digits + a-f: exactly the 16 hex digits
    assert key["min_lower"] == key["min_upper"] == key["min_numeric"] == key["min_special"] == 0  # uniform


#: Arguments that may carry a generated secret: write-only ones, which Terraform never stores.
WRITE_ONLY_SECRET_FIELDS = ("administrator_password_wo", "value_wo")


def test_no_managed_random_password_and_no_secret_outside_write_only_arguments(every_synth):
    """No secret reaches state: every generated secret is ephemeral, and every reference to one sits in a
    write-only argument (a managed random_password, or an ephemeral value in any other field, would be stored)."""
    for stack, body in every_synth.stacks.items():
        assert "random_password" not in body.get("resource", {}), stack
        for rtype, by_name in body.get("resource", {}).items():
            for name, entry in by_name.items():
                for field, value in entry.items():
                    if "ephemeral." in json.dumps(value):
                        assert field in WRITE_ONLY_SECRET_FIELDS, (stack, rtype, name, field)


# --- the scanner catches what it must (negative tests) and passes references ----------------------

PLANTED: dict[str, tuple[Any, str]] = {
    "password field": ({"resource": {"azurerm_postgresql_flexible_server": {"pg": {"administrator_password": "Hunter2!x"}}}},
                       "literal in secret-named field 'administrator_password'"),
    "write-only password field": ({"administrator_password_wo": "Hunter2!x"}, "secret-named field"),
    "camelCase secret": ({"clientSecret": "abc123"}, "literal in secret-named field 'clientSecret'"),
    "provider token": ({"provider": {"kubernetes": [{"token": "eyJhbGciOi"}]}}, "literal in secret-named field 'token'"),
    "helm set pair": ({"set": [{"name": "license.key", "value": "ABCD-EFGH"}]}, "literal in secret-named field 'license.key'"),
    "env pair": ({"env": [{"name": "PACKAGEMANAGER_POSTGRES_PASSWORD", "value": "pw123456"}]},
                 "secret-named field 'PACKAGEMANAGER_POSTGRES_PASSWORD'"),
    "helm values yaml": ({"values": ["config:\n  Postgres:\n    Password: s3cret\n"]}, "secret-named field 'Password'"),
    "postgres url": ({"values": ["config:\n  Postgres:\n    URL: postgres://ppm:s3cret@db.example:5432/ppm\n"]},
                     "credentials in a URL"),
    "libpq dsn": ({"dsn": "host=db user=ppm password=s3cret sslmode=require"}, "password= in a connection string"),
    "ado connection string": ({"cs": "Server=db;Database=ppm;User Id=ppm;Password=s3cret;"}, "password= in a connection string"),
    "storage key": ({"conn": "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=QUJDREVGR0g=;EndpointSuffix=core.windows.net"},
                    "storage AccountKey="),
    "service bus sas": ({"conn": "Endpoint=sb://x/;SharedAccessKeyName=root;SharedAccessKey=QUJDREVG"},
                        "SharedAccessSignature/SharedAccessKey"),
    "sas url": ({"url": "https://st.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=r&se=2030-01-01&sig=AbCdEf0123%3D"},
                "SAS token (sv=...&sig=)"),
    "pem": ({"cert": "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----"}, "PEM block"),
    "random secret": ({"license": {"file": {"secret": "JJ8EbjFyzP/Hj2ogFddkqkk9b3en7kGEztNCRy2NHcU="}}},
                      "high-entropy literal in field 'secret'"),
    "random key": ({"key": "JJ8EbjFyzP/Hj2ogFddkqkk9b3en7kGEztNCRy2NHcU="}, "high-entropy literal in field 'key'"),
    "hex key": ({"value": "3cabddd2b5b6c0880a4e3c90d840db3d061b9c13a089b3c6dcb082b35b4db3f9"}, "high-entropy literal"),
    "kubernetes secret": ({"manifest": {"kind": "Secret", "stringData": {"license.lic": "LICENSE-KEY-TEXT"}}},
                          "literal in a Kubernetes Secret"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_scanner_catches_planted_literal(case):
    document, kind = PLANTED[case]
    findings = list(scan_value(document, "planted"))
    assert any(kind in f.kind for f in findings), findings


def test_scanner_catches_a_literal_planted_in_a_real_stack(reference, tmp_path):
    stacks = copy.deepcopy(reference.stacks)
    target = next(s for s in ("data", "app", "cluster", "network") if stacks[s].get("resource"))
    rtype, by_id = next(iter(stacks[target]["resource"].items()))
    logical_id = next(iter(by_id))
    by_id[logical_id]["administrator_password"] = "Planted-Literal-1"
    for name, body in stacks.items():
        (tmp_path / "stacks" / name).mkdir(parents=True)
        (tmp_path / "stacks" / name / "cdk.tf.json").write_text(json.dumps(body))
    (tmp_path / "manifest.json").write_text(json.dumps(reference.manifest))
    _, findings = scan_tree(tmp_path)
    assert [str(f) for f in findings] == [
        f"stacks/{target}/cdk.tf.json.resource.{rtype}.{logical_id}.administrator_password: "
        "literal in secret-named field 'administrator_password': Plante..."]


REFERENCES_ARE_FINE = {
    "resource": {"azurerm_postgresql_flexible_server": {"pg": {
        "administrator_password_wo": "${ephemeral.random_password.pg.result}",
        "administrator_password_wo_version": 1}}},
    "set_sensitive": [{"name": "config.Postgres.Password", "value": "${random_password.pg.result}"}],
    "url": "postgres://ppmadmin:${random_password.pg.result}@${azurerm_postgresql_flexible_server.pg.fqdn}/ppm",
    "terraform": {"backend": {"azurerm": {"key": "ppmref/data.tfstate", "use_azuread_auth": True}}},
    "key_vault_secret_id": "/subscriptions/x/secrets/pg",
    "secret_name": "ppm-license", "secretKey": "ppm.lic", "license": {"file": {"secret": "rstudio-pm-license"}}, "secret_rotation_interval": "2m",
    "tenant_id": "8d170293-a875-468d-a0cb-077b72d0e719",
    "env": [{"name": "PACKAGEMANAGER_POSTGRES_PASSWORD",
             "valueFrom": {"secretKeyRef": {"name": "ppm-postgres", "key": "password"}}}],
}


def test_scanner_passes_references_and_names_of_secrets():
    assert list(scan_value(REFERENCES_ARE_FINE, "ok")) == []


def test_output_sensitivity_check_catches_a_planted_output():
    stack = {
        "variable": {"license": {"type": "string", "sensitive": True}},
        "locals": {"dsn": "postgres://u:${random_password.pg.result}@h/db"},
        "output": {
            "password": {"value": "${random_password.pg.result}"},
            "secret": {"value": "${azurerm_key_vault_secret.pg.value}"},
            "license": {"value": "${var.license}"},
            "dsn": {"value": "${local.dsn}"},
            "kubeconfig": {"value": "${azurerm_kubernetes_cluster.aks.kube_config_raw}"},
            "key": {"value": "${azurerm_storage_account.st.primary_access_key}"},
            "ok_sensitive": {"value": "${random_password.pg.result}", "sensitive": True},
            "ok_name": {"value": "${azurerm_key_vault_secret.pg.name}"},
            "ok_identity": {"value": "${azurerm_kubernetes_cluster.aks.key_vault_secrets_provider[0].secret_identity[0].client_id}"},
        },
    }
    flagged = {p.split("'")[1] for p in unsensitive_secret_outputs(stack)}
    assert flagged == {"password", "secret", "license", "dsn", "kubeconfig", "key"}


def test_no_stack_keeps_a_generated_secret_in_state(synths, state_synths, other_synths):
    """Every stack of both configs on both toolchains, the state stack included: no managed random_password."""
    documents = [(f"{n}/{s}", doc) for n, synth in [*synths.items(), *other_synths.apps.items()]
                 for s, doc in synth.stacks.items()]
    documents += [(f"{n}/state", synth.doc) for n, synth in [*state_synths.items(), *other_synths.states.items()]]
    for where, doc in documents:
        assert "random_password" not in doc.get("resource", {}), where
