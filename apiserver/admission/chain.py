"""The admission chain and its configuration: k8s.io/apiserver's admission.chainAdmissionHandler
and kube-apiserver's --enable-admission-plugins / --disable-admission-plugins.

The plugins run in one fixed order, Kubernetes' AllOrderedPlugins restricted to
those we have, whatever the order of the flags:

    NamespaceLifecycle, Priority, DefaultTolerationSeconds

`--enable-admission-plugins` adds plugins to the default-on set (all three are
on by default in kube-apiserver), `--disable-admission-plugins` removes them;
an unknown name, or a name in both, is an error at start-up.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..storage import Store
from ..watchcache import WatchCache
from .default_toleration_seconds import DEFAULT_SECONDS, DefaultTolerationSeconds
from .interfaces import Attributes, MutatingPlugin, Plugin, ValidatingPlugin
from .namespace_lifecycle import NamespaceLifecycle
from .priority import Priority


@dataclass(frozen=True)
class AdmissionOptions:
    """The admission flags of kube-apiserver (and the one plugin that has flags of its own)."""
    enable_plugins: tuple[str, ...] = ()
    disable_plugins: tuple[str, ...] = ()
    default_not_ready_toleration_seconds: int = DEFAULT_SECONDS
    default_unreachable_toleration_seconds: int = DEFAULT_SECONDS


@dataclass(frozen=True)
class PluginContext:
    """What a plugin may need to be built (Kubernetes' plugin initializers)."""
    store: Store
    cache: WatchCache
    options: AdmissionOptions


PluginFactory = Callable[[PluginContext], Plugin]

# Kubernetes' AllOrderedPlugins, of the plugins we have: name -> how to build it.
ORDERED_PLUGINS: dict[str, PluginFactory] = {
    NamespaceLifecycle.name: lambda ctx: NamespaceLifecycle(ctx.store, ctx.cache),
    Priority.name: lambda ctx: Priority(ctx.store, ctx.cache),
    DefaultTolerationSeconds.name: lambda ctx: DefaultTolerationSeconds(
        ctx.options.default_not_ready_toleration_seconds, ctx.options.default_unreachable_toleration_seconds),
}
# kube-apiserver's default-on set (DefaultOffAdmissionPlugins' complement), of the plugins we have.
DEFAULT_ON: frozenset[str] = frozenset({NamespaceLifecycle.name, Priority.name, DefaultTolerationSeconds.name})


def enabled_plugins(options: AdmissionOptions, ordered: tuple[str, ...] = tuple(ORDERED_PLUGINS),
                    default_on: frozenset[str] = DEFAULT_ON) -> list[str]:
    """The names of the plugins that run, in chain order; ValueError with kube-apiserver's
    message for an unknown name or a name both enabled and disabled."""
    problems = [f'{flag}-admission-plugins plugin "{name}" is unknown'
                for flag, names in (("enable", options.enable_plugins), ("disable", options.disable_plugins))
                for name in names if name not in ordered]
    both = sorted(set(options.enable_plugins) & set(options.disable_plugins))
    if both:
        problems.append(f"{both} in enable-admission-plugins and disable-admission-plugins overlapped")
    if problems:
        raise ValueError("; ".join(problems))
    wanted = (default_on | set(options.enable_plugins)) - set(options.disable_plugins)
    return [name for name in ordered if name in wanted]


class AdmissionChain:
    """Every mutating plugin's admit() in order, then (after the strategy's own validation)
    every validating plugin's validate() in order; the first refusal ends the request."""

    def __init__(self, plugins: list[Plugin]) -> None:
        self.plugins = plugins
        self.mutating = [p for p in plugins if isinstance(p, MutatingPlugin)]
        self.validating = [p for p in plugins if isinstance(p, ValidatingPlugin)]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.plugins]

    async def admit(self, attributes: Attributes) -> None:
        for plugin in self.mutating:
            if plugin.handles(attributes.operation):
                await plugin.admit(attributes)

    async def validate(self, attributes: Attributes) -> None:
        for plugin in self.validating:
            if plugin.handles(attributes.operation):
                await plugin.validate(attributes)


def new_chain(context: PluginContext, plugins: dict[str, PluginFactory] = ORDERED_PLUGINS,
              default_on: frozenset[str] = DEFAULT_ON) -> AdmissionChain:
    """The chain the options ask for, its plugins built from `context`."""
    names = enabled_plugins(context.options, tuple(plugins), default_on)
    return AdmissionChain([plugins[name](context) for name in names])
