"""compile_graph: a graph as code, to read what backpropagation computes and to replay it fast.

``program = compile_graph(output, inputs)`` walks the graph under ``output`` once. Then
``program(values)`` computes ``output`` and ``d output / d input`` for each input at new input
values, as floats, without building a graph::

    loss, grads = program([p.data for p in params])

Every op runs the float code of its row of the derivative table (``ops.py``), written from the same
parsed rules (``rules.py``) as the engine's own ``_backward``: the forward expression, and the chain rule,
guards included (relu's branch is taken on the new numbers; where a rule selects a zero, nothing is
passed on, so a nan from upstream stays out). The numbers are therefore backward()'s: bit for bit
where a gradient adds up its terms in the same order as backward() does, and to rounding where the
program adds them in another order (a weight used by 100 samples gets its 100 terms in a different
sequence).

What is compiled is the graph, not your Python: an ``if`` or a loop in the code that built the graph
ran once, when it was built, and its outcome is frozen into the program. (Ops like relu are not
frozen: they are evaluated anew.) Leaves that are not among ``inputs`` are constants of the program,
and so is every node computed from constants alone.

``program.source`` (and ``print(program)``) is the program as straight-line Python, named after the
graph's labels: the forward pass, then the backward pass, the way the lecture writes backprop by hand.

How it runs fast. The program is a short list of loops. Nodes are grouped by kind (the op, which of
its inputs need a gradient, and for a dot its number of pairs) into stages that keep the graph's
order; a chain of like ops stays in one group. For micrograd's demo step that is ~15 groups, e.g.
1,600 dot nodes of 16 pairs each. Each kind gets a loop whose body is its op's code with the numbers
read from one list by slot (``v[o] = v[s0] * v[s1]``, ``d[s0] = d[s0] + g * v[s1]``); kinds with few
nodes run together in one loop that dispatches on the op. A node whose gradient is 0 is skipped where
that changes no bit (see group_kernel_source). No recursion anywhere: a chain of a million ops
compiles and runs, in ~10 bytes a node.

The package: ``kernels`` writes the loop bodies from the rules, ``schedule`` walks the graph into slots and
groups, ``program`` is ``compile_graph`` and the ``Program`` it returns, ``printer`` writes a program as
straight-line Python.
"""
from .program import Program, compile_graph

__all__ = ['Program', 'compile_graph']
