"""Distillation modules registered in MMRazor's ``MODELS`` registry."""
from .architectures import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
