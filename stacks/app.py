"""The `app` stack: the rstudio-pm Helm release (issue 5 fills it)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config.schema import EnvironmentConfig
from stacks.base import PpmStack
from stacks.cluster import ClusterStack
from stacks.data import DataStack


class AppStack(PpmStack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, cluster: ClusterStack, data: DataStack) -> None:
        super().__init__(scope, "app", cfg)
        TerraformOutput(self, "placeholder", value=[cluster.resource_group.name, data.resource_group.name])
