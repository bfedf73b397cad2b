"""AKS: the cluster, its props, Container Insights, and a Helm provider for it.

- :mod:`constructs_lib.aks.props`: props and validation (pure Python)
- :mod:`constructs_lib.aks.cluster`: :class:`AksCluster`
- :mod:`constructs_lib.aks.container_insights`: :class:`ContainerInsights`
- :mod:`constructs_lib.aks.helm`: :class:`AksHelmProvider`

Names load on first use, so ``constructs_lib.aks.props`` imports without cdktf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib import _lazy_exports

if TYPE_CHECKING:
    from constructs_lib.aks.cluster import AksCluster
    from constructs_lib.aks.container_insights import ContainerInsights, ContainerInsightsProps
    from constructs_lib.aks.helm import AksHelmProvider, AksHelmProviderProps
    from constructs_lib.aks.props import AksClusterProps, MaintenanceWindow, NodePoolSpec

_EXPORTS = {
    "AksCluster": "constructs_lib.aks.cluster",
    "ContainerInsights": "constructs_lib.aks.container_insights",
    "ContainerInsightsProps": "constructs_lib.aks.container_insights",
    "AksHelmProvider": "constructs_lib.aks.helm",
    "AksHelmProviderProps": "constructs_lib.aks.helm",
    "AksClusterProps": "constructs_lib.aks.props",
    "MaintenanceWindow": "constructs_lib.aks.props",
    "NodePoolSpec": "constructs_lib.aks.props",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS, globals())
