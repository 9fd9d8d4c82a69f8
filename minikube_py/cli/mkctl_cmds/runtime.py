"""What every mkctl command shares: kubectl's global flags, the API client, one event loop.

kubectl accepts its global flags (`-n`, `-s/--server`, `--token`,
`--kubeconfig`, `--context`, `-v`) before or after the sub-command, so each
command here gets them too; a value given after the sub-command wins. A command
body is an `async def` taking a `Session`; `command_runner` runs it with
`asyncio.run` and turns every failure into kubectl's one-line message on
stderr plus exit code 1, never a traceback.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import click

from minikube_py.api.errors import ApiError
from minikube_py.api.resources import GROUP_VERSIONS, RESOURCES, ResourceType, lookup
from minikube_py.cli.mkctl_cmds.errors import CliError, connection_refused, server_error
from minikube_py.client.config import ClientConfig, ConfigError, load_config
from minikube_py.client.rest import ApiClient, ResourceClient

_OPTION_KEY = "mkctl.options"


@dataclass
class Session:
    """One command's view of the cluster."""
    api: ApiClient
    config: ClientConfig
    explicit_namespace: bool       # -n was given (kubectl then refuses manifests of another namespace)
    verbosity: int = 0

    @property
    def namespace(self) -> str:
        return self.config.namespace

    def resource(self, rt: ResourceType, namespace: str | None = None,
                 all_namespaces: bool = False) -> ResourceClient:
        """A client for `rt` in `namespace` (default: the session's), or across all namespaces."""
        return self.api.resource(rt, None if all_namespaces else (namespace or self.namespace))


# ---- global flags ---------------------------------------------------------------------

def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.find_root().meta.setdefault(_OPTION_KEY, {})[param.name] = value
    return value


def _verbosity(value: str) -> int:
    try:
        return int(str(value).lstrip("="))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number") from None


GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("-n", "--namespace"), "The namespace for this request."),
    (("-s", "--server"), "The address of the API server."),
    (("--token",), "Bearer token for authentication to the API server."),
    (("--kubeconfig",), "Path to the kubeconfig file."),
    (("--context",), "The kubeconfig context to use."),
    (("-v", "--v", "verbosity"), "Log level (like kubectl -v=N; 6 and more log every request)."),
)


def global_options(command: Callable) -> Callable:
    """Add kubectl's global flags to a command or group (values are kept on the root context)."""
    for declarations, help_text in reversed(GLOBAL_OPTIONS):
        command = click.option(*declarations, help=help_text, callback=_remember, expose_value=False)(command)
    return command


def option_values() -> dict[str, Any]:
    return click.get_current_context().find_root().meta.get(_OPTION_KEY, {})


# ---- running a command ----------------------------------------------------------------

def command_runner(body: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Make an `async def body(session, **args)` into a click callback."""
    @functools.wraps(body)
    def callback(**kwargs: Any) -> None:
        options = option_values()
        verbosity = _verbosity(options.get("verbosity", "0"))
        _setup_logging(verbosity)
        try:
            config = load_config(options.get("server"), options.get("token"), options.get("kubeconfig"),
                                 options.get("context"), options.get("namespace"))
        except ConfigError as err:
            fail(f"error: {err}")
        explicit = "namespace" in options
        try:
            asyncio.run(_run(body, config, explicit, verbosity, kwargs))
        except KeyboardInterrupt:
            sys.exit(130)
    return callback


async def _run(body: Callable[..., Awaitable[None]], config: ClientConfig, explicit: bool,
               verbosity: int, kwargs: dict[str, Any]) -> None:
    try:
        # kubectl does not retry a refused connection; one quick retry covers a blip.
        async with ApiClient(config, retries=1) as api:
            await body(Session(api, config, explicit, verbosity), **kwargs)
    except CliError as err:
        fail(err.message, err.exit_code)
    except ApiError as err:
        if _connection_refused(err):
            fail(connection_refused(config.server))
        fail(server_error(err))


def _connection_refused(err: ApiError) -> bool:
    cause = err.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError) or isinstance(cause, ConnectionRefusedError)


def fail(message: str, exit_code: int = 1) -> None:
    """Print one line (kubectl's wording) on stderr and exit."""
    click.echo(message, err=True)
    sys.exit(exit_code)


def warn(message: str) -> None:
    click.echo(message, err=True)


def _setup_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity >= 6 else logging.INFO if verbosity >= 2 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname).1s %(name)s] %(message)s")


# ---- resource types -------------------------------------------------------------------

def resource_type(name: str) -> ResourceType:
    """A type from any name kubectl accepts: plural, singular, short name, kind, `plural.group`."""
    rt = lookup(name)
    if rt is None and "." in name:
        base, _, group = name.partition(".")
        rt = lookup(base)
        if rt is not None and rt.group != group:
            rt = None
    if rt is None:
        raise CliError(f'error: the server doesn\'t have a resource type "{name}"')
    return rt


def discovery_order() -> list[ResourceType]:
    """Resource types in the order discovery lists them: core first, then each group, by name."""
    groups = ["", *(group for group, _ in GROUP_VERSIONS)]
    return sorted(RESOURCES, key=lambda rt: (groups.index(rt.group) if rt.group in groups else 99, rt.plural))


def qualified_kind(rt: ResourceType) -> str:
    """`deployment.apps`, `pod`: how kubectl names a type in `TYPE/NAME` output."""
    return f"{rt.singular}.{rt.group}" if rt.group else rt.singular


def object_ref(rt: ResourceType, name: str) -> str:
    return f"{qualified_kind(rt)}/{name}"


def split_type_name(arg: str) -> tuple[ResourceType, str]:
    """`deploy/web` -> (deployments, "web")."""
    kind, sep, name = arg.partition("/")
    if not sep or not name:
        raise CliError("error: arguments in resource/name form must have a single resource and name")
    return resource_type(kind), name


def type_and_names(args: tuple[str, ...]) -> list[tuple[ResourceType, str]]:
    """kubectl's two ways of naming objects: `TYPE NAME...` or `TYPE/NAME...`."""
    if not args:
        raise CliError("error: you must specify the type of resource and a name")
    if "/" in args[0]:
        return [split_type_name(arg) for arg in args]
    rt = resource_type(args[0])
    if len(args) < 2:
        raise CliError("error: resource(s) were provided, but no name was specified")
    return [(rt, name) for name in args[1:]]
