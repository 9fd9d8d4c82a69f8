"""Name and key syntax, as k8s.io/apimachinery/pkg/util/validation does it.

Kubernetes names things with a handful of grammars: DNS-1123 labels and
subdomains (object names), DNS-1035 labels (Service names), "qualified names"
with an optional DNS prefix (label and annotation keys), label values,
IANA service names (port names), environment variable names and config keys.
Each `*_problems` function returns the list of what is wrong (empty: valid),
in Kubernetes' words; `check()` turns them into field errors.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .field import Cause, each_invalid, invalid, required

Syntax = Callable[[str], list[str]]

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_ENV_VAR_NAME = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_CONFIG_KEY = "[-._a-zA-Z0-9]+"
_PERCENT = "[0-9]+%"
_HTTP_HEADER_NAME = "[-A-Za-z0-9]+"

_QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', "
                       "and must start and end with an alphanumeric character")


def _full_match(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


_is_dns1123_label = _full_match(_DNS1123_LABEL)
_is_dns1123_subdomain = _full_match(_DNS1123_SUBDOMAIN)
_is_dns1035_label = _full_match(_DNS1035_LABEL)
_is_qualified_name = _full_match(_QUALIFIED_NAME)
_is_label_value = _full_match(_LABEL_VALUE)
_is_env_var_name = _full_match(_ENV_VAR_NAME)
_is_config_key = _full_match(_CONFIG_KEY)
_is_percent = _full_match(_PERCENT)
_is_http_header_name = _full_match(_HTTP_HEADER_NAME)


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """Kubernetes' RegexError text: the rule, some examples, and the regex itself."""
    shown = "".join(("" if i == 0 else " or ") + f"'{example}', " for i, example in enumerate(examples))
    prefix = f" (e.g. {shown}" if examples else " ("
    return f"{message}{prefix}regex used for validation is '{pattern}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def dns1123_label_problems(value: str) -> list[str]:
    problems = [max_len_error(DNS1123_LABEL_MAX)] if len(value) > DNS1123_LABEL_MAX else []
    if not _is_dns1123_label(value):
        if _is_dns1123_subdomain(value):
            problems.append("must not contain dots")
        else:
            problems.append(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character", _DNS1123_LABEL, "my-name", "123-abc"))
    return problems


def dns1123_subdomain_problems(value: str) -> list[str]:
    problems = [max_len_error(DNS1123_SUBDOMAIN_MAX)] if len(value) > DNS1123_SUBDOMAIN_MAX else []
    if not _is_dns1123_subdomain(value):
        problems.append(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character", _DNS1123_SUBDOMAIN, "example.com"))
    return problems


def dns1035_label_problems(value: str) -> list[str]:
    problems = [max_len_error(DNS1123_LABEL_MAX)] if len(value) > DNS1123_LABEL_MAX else []
    if not _is_dns1035_label(value):
        problems.append(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character", _DNS1035_LABEL, "my-name", "abc-123"))
    return problems


def qualified_name_problems(value: str) -> list[str]:
    """Label keys, annotation keys, finalizers, taint keys: `[prefix/]name`."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name " + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    problems = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems += ["prefix part " + problem for problem in dns1123_subdomain_problems(prefix)]
    name = parts[-1]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        problems.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _is_qualified_name(name):
        problems.append("name part "
                        + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME, "MyName", "my.name", "123-abc"))
    return problems


def label_value_problems(value: str) -> list[str]:
    problems = [max_len_error(LABEL_VALUE_MAX)] if len(value) > LABEL_VALUE_MAX else []
    if not _is_label_value(value):
        problems.append(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character", _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return problems


def port_name_problems(value: str) -> list[str]:
    """An IANA_SVC_NAME (RFC 6335), what container and target port names must be."""
    problems = [max_len_error(PORT_NAME_MAX)] if len(value) > PORT_NAME_MAX else []
    if not re.fullmatch("[-a-z0-9]+", value):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        problems.append("must contain at least one letter (a-z)")
    if "--" in value:
        problems.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return problems


def _relative_dir_problems(value: str) -> list[str]:
    """Names that become file names may not walk up the directory tree."""
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def env_var_name_problems(value: str) -> list[str]:
    problems = []
    if not _is_env_var_name(value):
        problems.append(regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
            "and must not start with a digit", _ENV_VAR_NAME, "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
    return problems + _relative_dir_problems(value)


def config_key_problems(value: str) -> list[str]:
    """ConfigMap and Secret keys (they become file names in volumes)."""
    problems = [max_len_error(DNS1123_SUBDOMAIN_MAX)] if len(value) > DNS1123_SUBDOMAIN_MAX else []
    if not _is_config_key(value):
        problems.append(regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                    _CONFIG_KEY, "key.name", "KEY_NAME", "key-name"))
    return problems + _relative_dir_problems(value)


def percent_problems(value: str) -> list[str]:
    if _is_percent(value):
        return []
    return [regex_error("a valid percent string must be a numeric string followed by an ending '%'",
                        _PERCENT, "1%", "93%")]


def http_header_name_problems(value: str) -> list[str]:
    if _is_http_header_name(value):
        return []
    return [regex_error("a valid HTTP header must consist of alphanumeric characters or '-'",
                        _HTTP_HEADER_NAME, "X-Header-Name")]


def as_generate_name_prefix(value: str) -> str:
    """generateName is a prefix: a trailing '-' is fine because random characters follow it."""
    return value[:-1] + "a" if value.endswith("-") else value


def check(path: str, value: Any, syntax: Syntax, *, required_value: bool = False) -> list[Cause]:
    """Validate a string field against a syntax; absent values pass unless `required_value`."""
    if value is None or value == "":
        return [required(path)] if required_value else []
    if not isinstance(value, str):
        return [invalid(path, value, "must be a string")]
    return each_invalid(path, value, syntax(value))
