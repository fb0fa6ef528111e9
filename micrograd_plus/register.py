"""register_op: a row added to the derivative table while the program runs.

The row is read by the same parser as ops.py (``rules.py``): a rule is math in the grammar of the table, and
anything else (a string, an attribute, an unknown name, a lambda...) is refused with the reason, before any
code is written. The code is then written from the parsed form by ``codegen``, the generator of engine.py's
own op code, with every name quoted, so what a user types is data, never code.
"""
from __future__ import annotations

import linecache

from . import checks, codegen, engine, ops, rules
from .engine import Value


def _registration_names(op: ops.Op, method: str | None, reflected: str | None) -> tuple[str, str | None]:
    """register_op's method names, checked: the Op's own unless given."""
    if not isinstance(op, ops.Op):
        raise TypeError(f"register_op takes an Op, e.g. Op('cube', 'x ** 3', ('3 * x ** 2',)), got {checks.shown(op)}")
    try:
        codegen.check_names(op)  # an Op whose rules are in the grammar, so they can become code
    except rules.RuleError as error:
        raise ValueError(f'register_op: {error}') from None
    method = op.method if method is None else method
    reflected = op.reflected if reflected is None else reflected
    if method is not None:
        checks.text('register_op(method=...)', method)
    if not method or not method.isidentifier():
        raise ValueError(f'register_op needs the name of the Value method that builds the op, e.g. '
                         f"register_op(op, method='{op.name if str(op.name).isidentifier() else 'cube'}'), "
                         f'got {checks.shown(method)}')
    if reflected is not None and (not isinstance(reflected, str) or not reflected.isidentifier()
                                  or len(op.grads) != 2):
        raise ValueError('register_op(reflected=...) names the method for `number OP value` of an op of two inputs, '
                         f"like '__rand__' (or None), got {checks.shown(reflected)} for an op of "
                         f'{len(op.grads)} input(s)')
    return method, reflected


def register_op(op: ops.Op, method: str | None = None, reflected: str | None = None, *,
                replace: bool = False) -> type[Value]:
    """Add a row to the derivative table while the program runs: ``Value.<method>`` then builds the op's
    node, with backward(), grad() to any order, gradcheck, explain() and pictures like a built-in op.

        register_op(Op('cube', 'x ** 3', ('3 * x ** 2',)), method='cube')
        Value(2.0).cube()        # Value(data=8.0, ...), d/dx = 12.0

    The rules are parsed by the table's own parser and turned into code by the same generator that wrote the
    built-in ops (``codegen``); that code is compiled here, once; ``inspect.getsource`` and tracebacks show
    it. A two-input op's ``reflected`` method (e.g. ``'__rand__'``; by default the Op's own) serves ``number
    OP value``. Registering the same op again (a notebook cell run twice) changes nothing; ``replace=True``
    replaces an op registered before with another under the same method name (nodes made before keep the
    old one). Returns the node class.
    """
    method, reflected = _registration_names(op, method, reflected)
    replace = checks.flag('register_op(replace=...)', replace)
    space = vars(engine)  # engine's own globals: the fast path reads _plain
    cls_name = f'_Registered_{method}'
    before = space.get(cls_name)
    if before is not None and before.rule == op and not replace:
        return before  # type: ignore[no-any-return]
    for name in filter(None, (method, reflected)):
        if hasattr(Value, name) and not (replace and before is not None):
            registered = ' (registered before: pass replace=True to change it)' if before is not None else ''
            raise ValueError(f'Value already has {name!r}{registered}: pick another method name for op {op.name!r}')
    if before is not None:  # the replaced class stays findable under a name of its own: its nodes still pickle
        version = f'{cls_name}_v{sum(name.startswith(cls_name + "_v") for name in space) + 1}'
        space[version], before.__name__, before.__qualname__ = before, version, version
    source = codegen.registered_op_source(op, method, cls_name, reflected)
    for name in ('f_div', 'f_pow', 'inf', 'nan', 'format_constant', *(f'f_{f}' for f in ops.FUNCTIONS)):
        space.setdefault(name, getattr(ops, name))  # what the rules may call, beside what the table uses
    filename = f'<micrograd_plus op {op.name!r}>'
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, 'exec'), space)
    cls: type[Value] = space[cls_name]
    cls.rule = op
    cls.__qualname__ = cls_name  # pickle finds it as micrograd_plus.engine.<cls_name>
    cls.__module__ = engine.__name__
    for name in filter(None, (method, reflected)):
        function = space.pop(f'_method_{name}')
        function.__name__ = function.__qualname__ = name
        setattr(Value, name, function)
    return cls
