"""Argument checks of the distillation modules, each failing with a
``TypeError``/``ValueError`` that names the argument and the value."""
import math
from numbers import Real
from typing import Optional, Sequence

from torch import Tensor


def check_real(name: str,
               value,
               minimum: Optional[float] = None,
               maximum: Optional[float] = None,
               strict: bool = False) -> float:
    """``value`` as a float: a finite real number (not a bool) in
    ``[minimum, maximum]`` (``(minimum, ...`` when ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f'{name} must be a real number, got {name}={value!r}')
    value = float(value)
    low_ok = minimum is None or (value > minimum if strict else
                                 value >= minimum)
    high_ok = maximum is None or value <= maximum
    if not (math.isfinite(value) and low_ok and high_ok):
        bounds = []
        if minimum is not None:
            bounds.append(f'{">" if strict else ">="} {minimum:g}')
        if maximum is not None:
            bounds.append(f'<= {maximum:g}')
        raise ValueError(f'{name} must be a finite number '
                         f'{" and ".join(bounds)}, got {name}={value!r}')
    return value


def check_weight(name: str, value) -> float:
    """A loss weight: a finite number >= 0."""
    return check_real(name, value, minimum=0.0)


def check_int(name: str, value, minimum: int = 1) -> int:
    """An int (not a bool) >= ``minimum``."""
    if (isinstance(value, bool) or not isinstance(value, int)
            or value < minimum):
        raise ValueError(
            f'{name} must be an int >= {minimum}, got {name}={value!r}')
    return value


def check_choice(name: str, value, choices: Sequence) -> None:
    if value not in choices:
        raise ValueError(f'unknown {name} {value!r}, valid ones are '
                         f'{tuple(choices)}')


def check_feature(feature, what: str) -> Tensor:
    """A 4-d ``(N, C, H, W)`` tensor; ``what`` names it in the error."""
    if not isinstance(feature, Tensor) or feature.dim() != 4:
        shape = tuple(feature.shape) if isinstance(feature, Tensor) else None
        raise TypeError(f'{what} must be a 4-d tensor (N, C, H, W), got '
                        f'{type(feature).__name__} with shape {shape}')
    return feature
