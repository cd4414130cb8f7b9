"""Small helpers for scripts and tools that build models from configs."""


def register_all_modules(init_default_scope: bool = False) -> None:
    """Register mmdet's, MMRazor's and this package's modules in their
    registries, like OpenMMLab's ``register_all_modules``; by default
    without setting a default scope, so that both mmdet and mmrazor configs
    build."""
    import mmrazor_amd  # noqa: F401  (torch 2.x fixes, our modules)
    from mmdet.utils import register_all_modules as register_mmdet
    from mmrazor.utils import register_all_modules as register_mmrazor
    register_mmdet(init_default_scope=init_default_scope)
    register_mmrazor(init_default_scope=init_default_scope)
