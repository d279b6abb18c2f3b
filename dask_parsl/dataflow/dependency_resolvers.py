"""Parsl's module path for the dependency resolvers."""
from .dependencies import (  # noqa: F401
    DEEP_DEPENDENCY_RESOLVER,
    SHALLOW_DEPENDENCY_RESOLVER,
    DependencyResolver,
    deep_gather,
    deep_replace,
)
