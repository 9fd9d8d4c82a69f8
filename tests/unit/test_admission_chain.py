"""The admission chain on its own (apiserver/admission/chain.py): which plugins run, in which
order, and how the --enable/--disable-admission-plugins flags are read."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from apiserver.admission import CREATE, DEFAULT_ON, ORDERED_PLUGINS, UPDATE, AdmissionOptions, Attributes
from apiserver.admission.chain import AdmissionChain, PluginContext, enabled_plugins, new_chain
from apiserver.admission.interfaces import MutatingPlugin, Plugin, ValidatingPlugin, forbidden
from apiserver.cli import apiserver
from minikube_py.api import errors


class Recorder(MutatingPlugin, ValidatingPlugin):
    """Writes '<name>.admit' / '<name>.validate' into a shared log; refuses when told to."""

    def __init__(self, name: str, log: list[str], refuse_in: str = "") -> None:
        self.name = name  # type: ignore[misc]  # a class attribute in real plugins
        self.log, self.refuse_in = log, refuse_in

    async def admit(self, attributes: Attributes) -> None:
        self.log.append(f"{self.name}.admit")
        if self.refuse_in == "admit":
            raise forbidden(attributes, "no")

    async def validate(self, attributes: Attributes) -> None:
        self.log.append(f"{self.name}.validate")
        if self.refuse_in == "validate":
            raise forbidden(attributes, "no")


class OnlyValidates(ValidatingPlugin):
    name = "OnlyValidates"
    operations = frozenset({UPDATE})

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def validate(self, attributes: Attributes) -> None:
        self.log.append("OnlyValidates.validate")


def pod_create(name: str = "p") -> Attributes:
    return Attributes(CREATE, "pods", "", "ns", name, {"metadata": {"name": name}, "spec": {}})


def test_kube_apiservers_order_and_default_on_set() -> None:
    assert list(ORDERED_PLUGINS) == ["NamespaceLifecycle", "Priority", "DefaultTolerationSeconds"]
    assert DEFAULT_ON == set(ORDERED_PLUGINS)        # all three are on by default in kube-apiserver
    assert enabled_plugins(AdmissionOptions()) == list(ORDERED_PLUGINS)


def test_disable_by_name_removes_only_that_plugin() -> None:
    options = AdmissionOptions(disable_plugins=("DefaultTolerationSeconds",))
    assert enabled_plugins(options) == ["NamespaceLifecycle", "Priority"]


def test_enable_adds_a_default_off_plugin_at_its_place_whatever_the_flag_order() -> None:
    ordered = ("A", "B", "C", "D")
    options = AdmissionOptions(enable_plugins=("D", "B"), disable_plugins=("C",))
    assert enabled_plugins(options, ordered, default_on=frozenset({"A", "C"})) == ["A", "B", "D"]


@pytest.mark.parametrize("options, message", [
    (AdmissionOptions(enable_plugins=("NoSuch",)), 'enable-admission-plugins plugin "NoSuch" is unknown'),
    (AdmissionOptions(disable_plugins=("priority",)), 'disable-admission-plugins plugin "priority" is unknown'),
    (AdmissionOptions(enable_plugins=("Priority",), disable_plugins=("Priority",)),
     "['Priority'] in enable-admission-plugins and disable-admission-plugins overlapped"),
])
def test_unknown_or_contradictory_names_are_refused(options: AdmissionOptions, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        enabled_plugins(options)
    assert message in str(refused.value)


def test_an_unknown_name_is_a_usage_error_of_the_command_line() -> None:
    result = CliRunner().invoke(apiserver, ["--enable-admission-plugins", "NamespaceLifecycle,NoSuch"])
    assert result.exit_code == 2
    assert 'enable-admission-plugins plugin "NoSuch" is unknown' in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_new_chain_builds_the_enabled_plugins_in_order() -> None:
    log: list[str] = []
    factories = {name: (lambda ctx, name=name: Recorder(name, log)) for name in ("A", "B", "C")}
    context = PluginContext(store=None, cache=None, options=AdmissionOptions(disable_plugins=("B",)))
    chain = new_chain(context, factories, default_on=frozenset({"A", "B", "C"}))
    assert chain.names == ["A", "C"]


async def test_every_mutating_plugin_runs_before_any_validating_one() -> None:
    log: list[str] = []
    chain = AdmissionChain([Recorder("A", log), OnlyValidates(log), Recorder("B", log)])
    attributes = pod_create()
    attributes.operation = UPDATE
    await chain.admit(attributes)
    await chain.validate(attributes)
    assert log == ["A.admit", "B.admit", "A.validate", "OnlyValidates.validate", "B.validate"]


async def test_a_plugin_sees_only_the_operations_it_handles() -> None:
    log: list[str] = []
    chain = AdmissionChain([OnlyValidates(log)])
    assert chain.mutating == [] and len(chain.validating) == 1
    await chain.validate(pod_create())             # a CREATE: OnlyValidates handles UPDATE only
    assert log == []


async def test_the_first_refusal_ends_the_chain_with_a_403() -> None:
    log: list[str] = []
    chain = AdmissionChain([Recorder("A", log), Recorder("B", log, refuse_in="admit"), Recorder("C", log)])
    with pytest.raises(errors.ApiError) as refused:
        await chain.admit(pod_create("web"))
    assert log == ["A.admit", "B.admit"]
    assert refused.value.code == 403 and refused.value.reason == "Forbidden"
    assert refused.value.message == 'pods "web" is forbidden: no'


def test_forbidden_names_the_generate_name_before_a_name_exists() -> None:
    attributes = Attributes(CREATE, "priorityclasses", "scheduling.k8s.io", None, "",
                            {"metadata": {"generateName": "high-"}})
    error = forbidden(attributes, "why", field="value")
    assert error.message == 'priorityclasses.scheduling.k8s.io "high-" is forbidden: why'
    assert error.details is not None and error.details["causes"][0]["field"] == "value"


def test_the_real_plugins_are_what_their_names_say() -> None:
    context = PluginContext(store=None, cache=None, options=AdmissionOptions(
        default_not_ready_toleration_seconds=7))
    chain = new_chain(context)
    assert chain.names == list(ORDERED_PLUGINS)
    assert all(isinstance(p, Plugin) for p in chain.plugins)
    assert [p.name for p in chain.mutating] == ["NamespaceLifecycle", "Priority", "DefaultTolerationSeconds"]
    assert [p.name for p in chain.validating] == ["Priority"]          # one default PriorityClass at most
    assert chain.plugins[2].not_ready_seconds == 7
