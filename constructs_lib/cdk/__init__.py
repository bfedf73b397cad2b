"""The core CDK names (``App``, ``TerraformStack``, ``Fn``, ...) of the selected toolchain.

cdktf and CDK Terrain share this API under different module names (``cdktf``, ``cdktn``);
every construct imports it from here. Type checkers see the default toolchain's classes;
at run time each name comes from the module :func:`constructs_lib.toolchain.selected` names.

Provider classes live in the sibling modules ``constructs_lib.cdk.<provider>`` (``azurerm``, ``helm``,
``random``, ``time``). Each lists the classes it offers once, under ``TYPE_CHECKING``, as the default
toolchain spells them (what type checkers see); at run time each name resolves to the same class in the
same submodule of the selected toolchain's package, imported on first use
(:func:`constructs_lib.toolchain.provider_namespace`). Add a class there before using it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constructs_lib.toolchain import core_module

if TYPE_CHECKING:
    from cdktf import (
        Annotations as Annotations,
        App as App,
        Aspects as Aspects,
        AzurermBackend as AzurermBackend,
        DefaultTokenResolver as DefaultTokenResolver,
        Fn as Fn,
        IAspect as IAspect,
        ITerraformDependable as ITerraformDependable,
        LocalBackend as LocalBackend,
        StringConcat as StringConcat,
        TerraformElement as TerraformElement,
        TerraformOutput as TerraformOutput,
        TerraformProvider as TerraformProvider,
        TerraformResource as TerraformResource,
        TerraformResourceLifecycle as TerraformResourceLifecycle,
        TerraformStack as TerraformStack,
        TerraformVariable as TerraformVariable,
        Token as Token,
        Tokenization as Tokenization,
    )

if not TYPE_CHECKING:  # hidden from type checkers, so a name missing above is an error there, not Any

    def __getattr__(name: str) -> Any:
        return getattr(core_module(), name)
