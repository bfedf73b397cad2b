"""Tags on every taggable resource, applied by an Aspect so no construct can forget them."""

from __future__ import annotations

from typing import Mapping

import jsii
from constructs_lib.cdk import IAspect, TerraformResource
from constructs import IConstruct


@jsii.implements(IAspect)
class RequiredTags:
    """Merge ``tags`` into every resource in scope that has a ``tags`` argument.

    Tags a resource sets itself win over these (so a construct can add or refine).
    Idempotent, as Aspects run on every synth.

    Example::

        Aspects.of(stack).add(RequiredTags({"project": "ppm", "environment": "prod"}))
    """

    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags = dict(tags)

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource) or not hasattr(type(node), "tags_input"):
            return
        own = node.tags_input
        if own is not None and not isinstance(own, Mapping):  # a token: leave it alone
            return
        node.tags = {**self.tags, **(own or {})}
