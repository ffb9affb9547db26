"""Argument checks every reference shares: ints, int-or-pair arguments, ranks

docs/contract.md states the rules these implement.
"""
import operator


def as_int(value, name):
    """One non-bool integer (int, numpy integer, anything with __index__)"""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a pair of ints, not a bool ({value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a pair of ints, got {type(value).__name__} {value!r}"
        ) from None


def as_pair(value, name, minimum=0):
    """Turn an int or a 2-sequence of ints into a tuple (a, b) with a, b >= minimum

    Raises TypeError for anything that is not an int or a tuple/list of two ints
    (bools included) and ValueError for a wrong length or a value below minimum
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a pair of ints, got {len(value)} values: {value!r}"
            )
        pair = (as_int(value[0], name), as_int(value[1], name))
    else:
        v = as_int(value, name)
        pair = (v, v)
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def check_ndim(T, ndim, name, shape):
    """Raise ValueError unless tensor T has exactly ndim dimensions (shape names them)"""
    if T.dim() != ndim:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(T.shape)}")
