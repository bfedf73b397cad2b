"""AKS: the cluster, its props, Container Insights, and a Helm provider for it.

- :mod:`constructs_lib.aks.props`: props and validation (pure Python)
- :mod:`constructs_lib.aks.cluster`: :class:`~constructs_lib.aks.cluster.AksCluster`
- :mod:`constructs_lib.aks.container_insights`: :class:`~constructs_lib.aks.container_insights.ContainerInsights`
- :mod:`constructs_lib.aks.helm`: :class:`~constructs_lib.aks.helm.AksHelmProvider`

The public names are exported by :mod:`constructs_lib` itself (``from constructs_lib import AksCluster``);
importing this package loads nothing, so ``constructs_lib.aks.props`` imports without cdktf.
"""
