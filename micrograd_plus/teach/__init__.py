"""Teaching tools built on the engine and the pictures: explain(), the backprop stepper page, the CLI.

- ``teach.explain``: where a number came from, forward formula and chain-rule sum, with numbers;
- ``teach.stepper``: one offline HTML page that steps through the forward and backward passes;
- ``teach.cli``: ``python -m micrograd_plus graph "tanh(x*w + b)" x=2 ...`` for the classroom.
"""
