"""Admission control: what every write passes after it is decoded and before it is
stored (k8s.io/apiserver/pkg/admission, and kube-apiserver's plugins).

    create / update ---> mutating phase:   each enabled plugin's admit(attributes), in
                                           the fixed order; it may change the object
                         strategy:         prepare, default, validate (handlers.py, updates.py)
                         validating phase: each enabled plugin's validate(attributes);
                                           it may only refuse
                         ---> etcd

    interfaces.py               Attributes (operation, resource, subresource, namespace,
                                name, object, old object, user, dryRun), the plugin
                                interfaces and forbidden() (403 `... is forbidden: ...`)
    chain.py                    the order, the default-on set, --enable/--disable-admission-plugins
    namespace_lifecycle.py      NamespaceLifecycle: no new objects in a missing or Terminating namespace
    priority.py                 Priority: spec.priority from the pod's PriorityClass
    default_toleration_seconds.py
                                DefaultTolerationSeconds: pods tolerate a dead node for 300 s

A new plugin (ServiceAccount, LimitRanger, ResourceQuota, ...) is one file with a
class that has a `name` and `admit` and/or `validate`, and one entry in
chain.ORDERED_PLUGINS at Kubernetes' position (and in DEFAULT_ON if kube-apiserver
enables it by default).
"""
from __future__ import annotations

from .chain import DEFAULT_ON, ORDERED_PLUGINS, AdmissionChain, AdmissionOptions, PluginContext, new_chain
from .interfaces import CONNECT, CREATE, DELETE, UPDATE, Attributes, UserInfo

__all__ = ["AdmissionChain", "AdmissionOptions", "Attributes", "CONNECT", "CREATE", "DEFAULT_ON", "DELETE",
           "ORDERED_PLUGINS", "PluginContext", "UPDATE", "UserInfo", "new_chain"]
