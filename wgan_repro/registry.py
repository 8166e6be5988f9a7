"""Name -> constructor registries, one per sweep axis (models, critics, objectives, datasets).

A YAML file of a config group names a registered constructor (`name:`) and lists its
keyword options; the constructor's signature is the schema, so an unknown option or a
value of the wrong type is reported in one line before anything is built.
"""
from __future__ import annotations

import inspect
import typing
from typing import Any, Callable, Dict, Mapping


class ConfigError(ValueError):
    """A bad user input: the message names the problem and the fix, in one line."""


class Registry:
    """Maps names to constructors for one axis (e.g. `model`)."""

    def __init__(self, axis: str):
        self.axis = axis
        self._entries: Dict[str, Callable] = {}
        self._meta: Dict[str, Any] = {}
        self._compat: Dict[str, dict] = {}

    def register(self, name: str, meta: Any = None, compat: Mapping[str, Any] | None = None
                 ) -> Callable[[Callable], Callable]:
        """Register the decorated constructor as `name`; `meta` is what the rest of the suite
        needs to know about this option (e.g. an objective's `ObjectiveInfo`). `compat` keeps
        checkpoints of earlier versions resumable when options change: `{"added": {option: the
        value that reproduces runs made before it}, "renamed": {old: (new, {old value: new value})}}`."""
        def decorate(fn: Callable) -> Callable:
            if name in self._entries:
                raise KeyError(f"{self.axis} {name!r} is registered twice")
            self._entries[name] = fn
            self._meta[name] = meta
            self._compat[name] = dict(compat or {})
            return fn

        return decorate

    def names(self) -> list[str]:
        return sorted(self._entries)

    def meta(self, name: str) -> Any:
        self.get(name)
        return self._meta[name]

    def compat(self, name: str) -> dict:
        """The option changes of `name` since earlier versions (see `register`); {} when unknown."""
        return self._compat.get(name, {})

    def get(self, name: str) -> Callable:
        if name not in self._entries:
            raise ConfigError(
                f"unknown {self.axis} {name!r}: valid names are {', '.join(self.names())}"
            )
        return self._entries[name]

    def options(self, options: Mapping[str, Any], *, context: Mapping[str, Any] | None = None,
                section: str | None = None) -> tuple[Callable, dict]:
        """Check `options` (a config section with `name`) against the constructor's signature.

        `context` holds the arguments the caller supplies itself (image shape, ...): they are
        not user options. Returns the constructor and the validated keyword arguments.
        """
        section = section or self.axis
        options = dict(options)
        if "name" not in options:
            raise ConfigError(f"{section}.name is missing: set it to one of {', '.join(self.names())}")
        name = options.pop("name")
        fn = self.get(name)
        context = dict(context or {})
        params = inspect.signature(fn).parameters
        hints = typing.get_type_hints(fn)
        user_params = [p for p in params if p not in context]
        for key, value in options.items():
            if key not in params or key in context:
                raise ConfigError(
                    f"unknown option {section}.{key} for {self.axis} {name!r}: "
                    f"valid options are {', '.join(user_params) or '(none)'}"
                )
            _check_type(f"{section}.{key}", value, hints.get(key))
        missing = [p for p in user_params
                   if params[p].default is inspect.Parameter.empty and p not in options]
        if missing:
            raise ConfigError(f"{section} is missing option(s) {', '.join(missing)} for {self.axis} {name!r}: "
                              f"choose it with {self.axis}={name} (its YAML file sets them) or set {section}.<option>")
        return fn, {**options, **context}

    def build(self, options: Mapping[str, Any], *, context: Mapping[str, Any] | None = None,
              section: str | None = None):
        fn, kwargs = self.options(options, context=context, section=section)
        return fn(**kwargs)


def _check_type(key: str, value: Any, hint: Any) -> None:
    """Raise ConfigError when `value` does not fit the annotation `hint` (bool is not int)."""
    if hint is None or hint is Any:
        return
    origin = typing.get_origin(hint)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        args = typing.get_args(hint)
        errors = []
        for arg in args:
            try:
                _check_type(key, value, arg)
                return
            except ConfigError as err:
                errors.append(err)
        raise errors[-1]
    if hint is type(None):
        if value is None:
            return
        raise ConfigError(f"{key} must be null, got {value!r}")
    if origin in (list, tuple, typing.Sequence):
        if isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and not isinstance(value, (str, dict))):
            return
        raise ConfigError(f"{key} must be a list, got {value!r}")
    ok = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
    }.get(hint, lambda v: True)
    if not ok(value):
        raise ConfigError(f"{key} must be of type {hint.__name__}, got {value!r}: fix the override or the YAML file")
