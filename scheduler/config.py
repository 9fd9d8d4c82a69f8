"""Scheduler configuration: a subset of kube-scheduler's KubeSchedulerConfiguration
(kubescheduler.config.k8s.io/v1), read from the YAML file given with --config:

    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    percentageOfNodesToScore: 0          # 0 = adaptive (kube-scheduler's default)
    profiles:
    - schedulerName: default-scheduler
      plugins:
        filter:
          disabled: [{name: NodePorts}]  # "*" disables all defaults
        postFilter:
          disabled: [{name: DefaultPreemption}]        # no preemption
        score:
          enabled: [{name: ImageLocality, weight: 5}]   # changes a weight, or adds a plugin
          disabled: [{name: NodeResourcesBalancedAllocation}]

Only the first profile is used; its schedulerName overrides --scheduler-name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scheduler.framework import FilterPlugin, Framework, Plugin, PostFilterPlugin, ScorePlugin
from scheduler.plugins import DEFAULT_FILTERS, DEFAULT_POST_FILTERS, DEFAULT_SCORE_WEIGHTS, REGISTRY


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the problem."""


@dataclass
class SchedulerConfig:
    scheduler_name: str = "default-scheduler"
    percentage_of_nodes_to_score: int = 0
    filters: list[str] = field(default_factory=lambda: [cls.name for cls in DEFAULT_FILTERS])
    score_weights: dict[str, int] = field(
        default_factory=lambda: {cls.name: weight for cls, weight in DEFAULT_SCORE_WEIGHTS.items()})
    post_filters: list[str] = field(default_factory=lambda: [cls.name for cls in DEFAULT_POST_FILTERS])
    plugin_args: dict[str, dict[str, Any]] = field(default_factory=dict)

    def build_framework(self) -> Framework:
        """One instance per plugin, shared by its filter and score roles (as kube-scheduler does)."""
        instances: dict[str, Any] = {}

        def instance(name: str) -> Any:
            if name not in instances:
                instances[name] = REGISTRY[name](self.plugin_args.get(name))
            return instances[name]
        filters = [instance(name) for name in self.filters]
        scorers = [(instance(name), weight) for name, weight in self.score_weights.items() if weight > 0]
        return Framework(filters, scorers, [instance(name) for name in self.post_filters])


def load_config(path: str | None, scheduler_name: str = "default-scheduler") -> SchedulerConfig:
    config = SchedulerConfig(scheduler_name=scheduler_name)
    if path is None:
        return config
    try:
        document = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read scheduler config {path}: {e}") from e
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a KubeSchedulerConfiguration mapping")
    percentage = document.get("percentageOfNodesToScore", 0) or 0
    if not isinstance(percentage, int) or not 0 <= percentage <= 100:
        raise ConfigError("percentageOfNodesToScore must be an integer from 0 to 100")
    config.percentage_of_nodes_to_score = percentage
    profiles = document.get("profiles") or []
    if profiles:
        _apply_profile(config, profiles[0])
    return config


def _names(section: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = section.get(key) or []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ConfigError(f"every plugin entry under {key} needs a name")
        if entry["name"] != "*" and entry["name"] not in REGISTRY:
            raise ConfigError(f"unknown plugin {entry['name']!r}; known: {', '.join(sorted(REGISTRY))}")
    return entries


def _apply_profile(config: SchedulerConfig, profile: dict[str, Any]) -> None:
    config.scheduler_name = profile.get("schedulerName") or config.scheduler_name
    plugins = profile.get("plugins") or {}
    config.filters = _apply_filter_section(config.filters, plugins.get("filter") or {})
    config.post_filters = _apply_filter_section(config.post_filters, plugins.get("postFilter") or {},
                                                PostFilterPlugin)
    config.score_weights = _apply_score_section(config.score_weights, plugins.get("score") or {})
    for entry in profile.get("pluginConfig") or []:
        if isinstance(entry, dict) and entry.get("name") in REGISTRY:
            config.plugin_args[entry["name"]] = entry.get("args") or {}


def _apply_filter_section(filters: list[str], section: dict[str, Any],
                          kind: type[Plugin] = FilterPlugin) -> list[str]:
    """An ordered extension point's section (filter, postFilter)."""
    disabled = {e["name"] for e in _names(section, "disabled")}
    kept = [] if "*" in disabled else [name for name in filters if name not in disabled]
    for entry in _names(section, "enabled"):
        if not issubclass(REGISTRY[entry["name"]], kind):
            raise ConfigError(f"{entry['name']} is not a {'filter' if kind is FilterPlugin else 'postFilter'} plugin")
        if entry["name"] not in kept:
            kept.append(entry["name"])
    return kept


def _apply_score_section(weights: dict[str, int], section: dict[str, Any]) -> dict[str, int]:
    disabled = {e["name"] for e in _names(section, "disabled")}
    kept = {} if "*" in disabled else {n: w for n, w in weights.items() if n not in disabled}
    for entry in _names(section, "enabled"):
        if not issubclass(REGISTRY[entry["name"]], ScorePlugin):
            raise ConfigError(f"{entry['name']} is not a score plugin")
        weight = entry.get("weight", weights.get(entry["name"], 1))
        if not isinstance(weight, int) or weight < 0:
            raise ConfigError(f"the weight of {entry['name']} must be a non-negative integer")
        kept[entry["name"]] = weight
    return kept
