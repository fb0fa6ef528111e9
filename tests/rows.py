"""How tests make a node of any row of the derivative table: read from ops.TABLE, so a new row is tested
as soon as it is in the table (there is no list of ops here to keep up to date)."""
import micrograd_plus
from micrograd_plus import ops, rules

# Constants to try beside each row's defaults, by name: a row without an entry is tried with its defaults.
SETTINGS = {
    'clamp': [dict(min=-1.0, max=1.5), dict(min=0.2), dict(max=0.4), dict(min=1.0, max=-1.0)],
    'leaky_relu': [dict(negative_slope=0.2), dict(negative_slope=-0.5)],
    'elu': [dict(alpha=0.5), dict(alpha=2.0)],
    'softplus': [dict(beta=2.0), dict(beta=0.5, threshold=5.0)],
    '**{c}': [dict(c=c) for c in (2.0, 3.0, -1.5, 0.5, 0.0, 1.0)],
}


def settings(op):
    """The constants each row is tried with: its defaults, then what SETTINGS adds."""
    defaults = dict(op.constants)
    return [defaults] + [{**defaults, **more} for more in SETTINGS.get(op.name, [])]


def width(op):
    """How many inputs a node of the row takes in the tests (an n-ary row: its first and one group)."""
    return op.arity


def make(op, inputs, constants):
    """One node of the row on these Values, made the way a user makes it: its Value method (the number of
    x ** c as the operand), or for an n-ary row micrograd_plus.dot."""
    if op.repeat:
        first, *groups = inputs
        return micrograd_plus.dot(groups[0::2], groups[1::2], first)
    if op.arity == 2:
        return getattr(inputs[0], op.method)(inputs[1])
    if op.method.startswith('__') and op.constants:  # a number operand: x ** c
        (value,) = constants.values()
        return getattr(inputs[0], op.method)(value)
    return getattr(inputs[0], op.method)(**constants)


def label(op, constants):
    shown = ', '.join(f'{k}={v}' for k, v in constants.items() if v != dict(op.constants).get(k))
    return f'{op.name}({shown})' if shown else op.name


def cases():
    """(id, row, constants) for every row and setting."""
    return [(label(op, c), op, c) for op in ops.TABLE for c in settings(op)]


def reflected(op):
    return op.reflected is not None


assert all(rules.rule_of(op) for op in ops.TABLE)
