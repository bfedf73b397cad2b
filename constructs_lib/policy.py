"""Synth-time policy: rules on the synthesized resources, reported as error annotations.

Config rules (``config/rules.py``) judge the YAML; these rules judge what the
constructs actually produced, so no construct (or later override) can slip past
them. Each rule is a pure function of one resource's *final* Terraform JSON, has
a stable id, a one-line cause and says what to change (cdk-nag style). A
violation becomes ``Annotations.of(resource).add_error(...)``; ``app.synth()``
then raises with ``[<construct path>] <message>`` for every violation.

Ordering (how cdktf 0.21 runs aspects, ``lib/synthesize/synthesizer.js``
``invokeAspects``): per stack, pre-order over the tree; on each node the
aspects inherited from its ancestors run first, then its own, each list in the
order they were added. So :class:`PolicyChecks` must be added to the stack
*after* :class:`~constructs_lib.tagging.RequiredTags` (``stacks/base.py`` does),
and it reads ``resource.to_terraform()``, which already merges
``add_override`` values: a construct that replaces ``tags`` with an override
after RequiredTags ran is judged on what lands in ``cdk.tf.json``. A value
that is a token (unknown until apply) cannot be verified and is an error, not a
silent pass.

Example::

    Aspects.of(stack).add(RequiredTags(tags))
    Aspects.of(stack).add(PolicyChecks(required_tags=tags.keys()))   # last
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import jsii
from constructs_lib.cdk import Annotations, IAspect, TerraformResource
from constructs import IConstruct

#: Resources that hold data: destroying or replacing one loses it.
STATEFUL_TYPES: frozenset[str] = frozenset({
    "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_storage_account",
    "azurerm_storage_share",
    "azurerm_key_vault",
})


@dataclass(frozen=True)
class Finding:
    """One violation of one rule by one resource: what is wrong and what to change."""

    rule_id: str
    problem: str
    fix: str


@dataclass(frozen=True)
class Subject:
    """What a rule judges: one resource's type, its final Terraform JSON, and whether its type takes ``tags``."""

    rtype: str
    body: Mapping[str, Any]
    taggable: bool


@dataclass(frozen=True)
class PolicyRule:
    """A synth-time rule: stable id, one-line cause, why it matters, source, and its check."""

    id: str
    cause: str
    explanation: str
    source: str
    check: Callable[["PolicyChecks", Subject], Iterator[Finding]]


def _prevent_destroy(policy: "PolicyChecks", subject: Subject) -> Iterator[Finding]:
    if subject.rtype not in policy.stateful_types:
        return
    lifecycle = subject.body.get("lifecycle")
    value = lifecycle.get("prevent_destroy") if isinstance(lifecycle, Mapping) else None
    if value is not True:
        yield Finding("POL-001", f"stateful resource without lifecycle.prevent_destroy (got {value!r})",
                      "pass lifecycle=TerraformResourceLifecycle(prevent_destroy=True) so a destroy or a "
                      "replacing change fails at plan instead of deleting its data")


def _required_tags(policy: "PolicyChecks", subject: Subject) -> Iterator[Finding]:
    if not policy.required_tags or not subject.taggable:
        return
    tags = subject.body.get("tags")
    if not isinstance(tags, Mapping):
        yield Finding("POL-002", f"tags is not a literal map (got {tags!r}), so the required tags "
                      f"{', '.join(policy.required_tags)} cannot be verified",
                      "pass tags as a dict of literal keys (the RequiredTags aspect merges the required ones in)")
        return
    missing = [name for name in policy.required_tags if name not in tags or tags[name] in ("", None)]
    if missing:
        yield Finding("POL-002", "missing required tag(s) " + ", ".join(repr(m) for m in missing),
                      "keep the tags RequiredTags adds: don't unset, blank or replace them with add_override or "
                      "a later aspect; add your own keys to the construct's tags instead")


def _no_public_blobs(policy: "PolicyChecks", subject: Subject) -> Iterator[Finding]:
    if subject.rtype != "azurerm_storage_account":
        return
    value = subject.body.get("allow_nested_items_to_be_public")
    if value is not False:
        shown = "unset: the provider default is true" if value is None else repr(value)
        yield Finding("POL-003", f"allow_nested_items_to_be_public is {shown}, so containers and blobs can be made public",
                      "set allow_nested_items_to_be_public=False")


#: Every synth-time rule, in report order (the README table lists them).
POLICY_RULES: tuple[PolicyRule, ...] = (
    PolicyRule("POL-001", "Stateful resource without lifecycle.prevent_destroy",
               "A destroy, or a change that forces replacement, would delete the database, share or vault.",
               "[TF] language/meta-arguments/lifecycle (prevent_destroy)",
               _prevent_destroy),
    PolicyRule("POL-002", "Taggable resource without every required tag",
               "Cost allocation, ownership and policy assignments rely on the environment's tags.",
               "[MS] azure-resource-manager/management/tag-resources; config `tags`", _required_tags),
    PolicyRule("POL-003", "Storage account allows public blob access",
               "allow_nested_items_to_be_public defaults to true in azurerm, letting any container go anonymous.",
               "[P] azurerm_storage_account allow_nested_items_to_be_public (default true, "
               "hashicorp/terraform-provider-azurerm#27513); checkov CKV_AZURE_190", _no_public_blobs),
)


@jsii.implements(IAspect)
class PolicyChecks:
    """Aspect: every rule of :data:`POLICY_RULES` on every resource in scope; errors as annotations.

    :param required_tags: tag names every taggable resource must carry with a non-empty value;
        - no tag rule when empty.
    :param stateful_types: Terraform types that must have ``lifecycle.prevent_destroy``;
        default :data:`STATEFUL_TYPES`.

    Add it last, after any aspect that changes resources (see the module doc).
    Idempotent: a second synth adds no duplicate annotation.

    Example::

        Aspects.of(stack).add(RequiredTags({"project": "ppm"}))
        Aspects.of(stack).add(PolicyChecks(required_tags=["project"]))
        app.synth()  # raises, naming each POL-* finding and its fix
    """

    def __init__(self, *, required_tags: Iterable[str] = (), stateful_types: Iterable[str] = STATEFUL_TYPES) -> None:
        self.required_tags: tuple[str, ...] = tuple(sorted(required_tags))
        self.stateful_types: frozenset[str] = frozenset(stateful_types)
        self._reported: set[tuple[str, str]] = set()

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource):
            return
        taggable = hasattr(type(node), "tags_input")  # the same test RequiredTags uses
        for rtype, logical_id, body in _resources(node.to_terraform()):
            for finding in self.findings(Subject(rtype, body, taggable)):
                message = (f"{finding.rule_id} {rtype}.{logical_id}: {finding.problem}; "
                           f"fix: {finding.fix}")
                key = (node.node.path, message)
                if key not in self._reported:
                    self._reported.add(key)
                    Annotations.of(node).add_error(message)

    def findings(self, subject: Subject) -> list[Finding]:
        """Every finding of every rule for one resource (pure; for tests and tools)."""
        return [finding for rule in POLICY_RULES for finding in rule.check(self, subject)]


def _resources(tf: Any) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(type, logical id, body) of each resource block in a ``to_terraform()`` result."""
    blocks = tf.get("resource") if isinstance(tf, Mapping) else None
    if not isinstance(blocks, Mapping):  # a moved resource renders no block
        return
    for rtype, by_id in blocks.items():
        for logical_id, body in by_id.items():
            yield rtype, logical_id, body
