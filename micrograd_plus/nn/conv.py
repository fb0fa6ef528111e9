"""Layers for images, as PyTorch's for one sample without the batch dimension: Conv2d, MaxPool2d, AvgPool2d,
Flatten. A sample is nested lists ``[channel][row][col]`` of numbers or Values; so is what they return.

Names. A convolution reuses each kernel weight at every position of the image, so every node says where it
was made: its layer, its channel, and its position in brackets, the one part that repeats::

    layers.0.weight.2.0.1.2   kernel weight of output channel 2, input channel 0, kernel row 1, col 2
    layers.0.z.2[3,4]         output channel 2 at row 3, col 4: ONE weighted-sum (dot) node over the kernel
    layers.1.y.2[3,4]         an activation of it (ReLU, Tanh, Sigmoid on a feature map)
    layers.2.y.2[1,1]         a pooled value

``explain()`` reads the bracket as "the same computation at another position": a kernel weight is "used
at 36 positions".
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from .. import checks
from ..data import Seed, random_source
from ..engine import Value, dot
from .module import Module, check_parameters, tensor

# what users import; the other public names here serve the layer files of this package
__all__ = ['AvgPool2d', 'Conv2d', 'Flatten', 'MaxPool2d']

# The place of a node in brackets at the end of its label: one notation for images and sequences, read by
# explain() and viz.collapsed() (layers.0.z.2[3,4]: channel 2 at row 3, col 4; rnn.h.3[t=5]: unit 3 at step 5)
PLACED = re.compile(r'(?P<name>.+)\[(?P<place>t=\d+|\d+,\d+)\]')


def split_place(label: str) -> tuple[str, str] | None:
    """'layers.0.z.2[3,4]' -> ('layers.0.z.2', '3,4'); 'rnn.h.3[t=5]' -> ('rnn.h.3', 't=5'); else None."""
    placed = PLACED.fullmatch(label)
    return (placed['name'], placed['place']) if placed else None


Pair = tuple[int, int]
Grid = list[list[list[Value]]]  # [channel][row][col]


def pair(what: str, x: Any, at_least: int) -> Pair:
    """An int or a pair of ints (rows, cols), as PyTorch takes kernel_size, stride and padding."""
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f'{what} must be an int or a pair (rows, cols), got {checks.shown(x)}')
        return (checks.count(f'{what}[0]', x[0], at_least=at_least, at_most=10_000),
                checks.count(f'{what}[1]', x[1], at_least=at_least, at_most=10_000))
    n = checks.count(what, x, at_least=at_least, at_most=10_000)
    return n, n


def shown_pair(p: Pair) -> str:
    return str(p[0]) if p[0] == p[1] else str(p)


def feature_maps(what: str, x: Any, channels: int | None = None) -> Grid:
    """A sample ``[channel][row][col]`` as Values (numbers wrapped once), checked to be a full box."""
    kind = 'nested lists [channel][row][col] of numbers or Values, like [[[0.0, 1.0], [1.0, 0.0]]]'
    planes = checks.sequence(what, x, kind)
    if not planes or isinstance(planes[0], (Value, int, float)):
        raise ValueError(f'{what} takes {kind}: one list per channel, got {checks.shown(x)}')
    first = planes[0]
    if isinstance(first, Sequence) and first and isinstance(first[0], (Value, int, float)):
        raise ValueError(f'{what} takes {kind}, got rows of numbers with no channel around them ({checks.shown(x)}): '
                         'a grey image [[row], [row], ...] is one channel, pass [image]')
    if channels is not None and len(planes) != channels:
        raise ValueError(f'{what} takes {channels} channel{"s" if channels > 1 else ""}, got {len(planes)}: '
                         'a sample is [channel][row][col] (a grey image is [[row, row, ...]], one channel)')
    grid: Grid = []
    width = None
    for c, plane in enumerate(planes):
        rows = checks.sequence(f'{what}: channel {c}', plane, 'a list of rows')
        if c == 0:
            height = len(rows)
        if len(rows) != height or not rows:
            raise ValueError(f'{what}: every channel needs the same number of rows (at least 1): channel 0 has '
                             f'{height}, channel {c} has {len(rows)}')
        converted = []
        for r, row in enumerate(rows):
            cells = checks.sequence(f'{what}: channel {c} row {r}', row, 'a list of numbers or Values')
            width = len(cells) if width is None else width
            if len(cells) != width or not cells:
                raise ValueError(f'{what}: every row needs the same length (at least 1): row 0 of channel 0 has '
                                 f'{width}, row {r} of channel {c} has {len(cells)}')
            converted.append([v if isinstance(v, Value) else Value(v) for v in cells])
        grid.append(converted)
    return grid


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class _Windows(Module):
    """A layer that slides a kernel_size window with a stride over each channel: where the windows are."""

    kernel_size: Pair
    stride: Pair
    padding: Pair

    def _out_shape(self, height: int, width: int) -> Pair:
        rows = out_size(height, self.kernel_size[0], self.stride[0], self.padding[0])
        cols = out_size(width, self.kernel_size[1], self.stride[1], self.padding[1])
        if rows < 1 or cols < 1:
            raise ValueError(f'{self!r} needs an image of at least {self.kernel_size[0] - 2 * self.padding[0]} x '
                             f'{self.kernel_size[1] - 2 * self.padding[1]} (rows x cols), got {height} x {width}')
        return rows, cols

    def _window(self, i: int, j: int, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """(kernel row, kernel col, image row, image col) of the window at output (i, j), inside the image:
        padding adds nothing to a sum and never wins a max, so a padded cell is simply left out."""
        top, left = i * self.stride[0] - self.padding[0], j * self.stride[1] - self.padding[1]
        return [(a, b, top + a, left + b) for a in range(self.kernel_size[0]) for b in range(self.kernel_size[1])
                if 0 <= top + a < height and 0 <= left + b < width]


class Conv2d(_Windows):
    """``z[o][i][j] = bias[o] + sum over c, a, b of weight[o][c][a][b] * x[c][i*stride + a][j*stride + b]``:
    PyTorch's ``nn.Conv2d`` on one image. Every output position is one weighted-sum node (``dot``) over the
    same kernel, which is why a kernel weight's gradient adds up over all the positions it was used at.

    Weights and biases start as PyTorch's: uniform in +-1/sqrt(in_channels * kernel rows * kernel cols),
    drawn from ``rng`` (an int seed, a ``random.Random``, or None for the global ``random``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Pair, stride: int | Pair = 1,
                 padding: int | Pair = 0, bias: bool = True, rng: Seed = None) -> None:
        self.in_channels = checks.count('Conv2d: in_channels', in_channels, at_most=10_000)
        self.out_channels = checks.count('Conv2d: out_channels', out_channels, at_most=10_000)
        self.kernel_size = pair('Conv2d: kernel_size', kernel_size, 1)
        self.stride = pair('Conv2d: stride', stride, 1)
        self.padding = pair('Conv2d: padding', padding, 0)
        bias = checks.flag('Conv2d: bias', bias)
        kh, kw = self.kernel_size
        fan_in = self.in_channels * kh * kw
        check_parameters(f'Conv2d({self.in_channels}, {self.out_channels}, kernel_size={shown_pair(self.kernel_size)})',
                         (fan_in + 1) * self.out_channels)
        source, bound = random_source(rng), 1.0 / math.sqrt(fan_in)
        self.weight = [[[[Value(source.uniform(-bound, bound)) for _ in range(kw)] for _ in range(kh)]
                        for _ in range(self.in_channels)] for _ in range(self.out_channels)]
        self.bias = [Value(source.uniform(-bound, bound)) for _ in range(self.out_channels)] if bias else None
        self._plans: dict[Pair, list[tuple[int, int, list[int], list[int]]]] = {}

    def kernel(self, out_channel: int) -> list[Value]:
        """Output channel ``out_channel``'s weights in a flat list, [in channel][row][col] order."""
        o = checks.count('Conv2d.kernel(out_channel)', out_channel, at_least=0, at_most=self.out_channels - 1)
        return self._kernel(o)

    def _kernel(self, o: int) -> list[Value]:
        return [w for plane in self.weight[o] for row in plane for w in row]

    def _plan(self, height: int, width: int) -> list[tuple[int, int, list[int], list[int]]]:
        """For each output position: its (row, col), which kernel weights and which input cells it reads
        (indices into the flat kernel and the flat image), computed once per image size."""
        plan = self._plans.get((height, width))
        if plan is None:
            rows, cols = self._out_shape(height, width)
            kh, kw = self.kernel_size
            plan = []
            for i in range(rows):
                for j in range(cols):
                    window = self._window(i, j, height, width)
                    weights = [(c * kh + a) * kw + b for c in range(self.in_channels) for a, b, _, _ in window]
                    cells = [(c * height + r) * width + s for c in range(self.in_channels) for _, _, r, s in window]
                    plan.append((i, j, weights, cells))
            self._plans[(height, width)] = plan
        return plan

    def __call__(self, x: Any) -> Grid:
        grid = feature_maps(f'{self!r}: the input', x, self.in_channels)
        height, width = len(grid[0]), len(grid[0][0])
        rows, cols = self._out_shape(height, width)
        flat = [v for plane in grid for row in plane for v in row]
        labels = position_labels(self, 'z', self.out_channels, rows, cols)
        out: Grid = []
        for o in range(self.out_channels):
            kernel, bias = self._kernel(o), 0.0 if self.bias is None else self.bias[o]
            plane: list[list[Value]] = [[] for _ in range(rows)]
            names = labels[o]
            for i, j, weights, cells in self._plan(height, width):
                z = dot([kernel[k] for k in weights], [flat[k] for k in cells], bias)
                z.label = names[i][j]
                plane[i].append(z)
            out.append(plane)
        return out

    def _torch_layers(self, torch: Any) -> list[Any]:
        conv = torch.nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, stride=self.stride,
                               padding=self.padding, bias=self.bias is not None, dtype=torch.float64)
        with torch.no_grad():
            conv.weight.copy_(tensor(torch, [[[[w.data for w in row] for row in plane] for plane in kernel]
                                             for kernel in self.weight]))
            if self.bias is not None:
                conv.bias.copy_(tensor(torch, [b.data for b in self.bias]))
        return [conv]

    def __repr__(self) -> str:
        extra = ''.join(f', {name}={shown_pair(value)}' for name, value, default in
                        (('stride', self.stride, (1, 1)), ('padding', self.padding, (0, 0))) if value != default)
        bias = ', bias=False' if self.bias is None else ''
        size = shown_pair(self.kernel_size)
        return f'Conv2d({self.in_channels}, {self.out_channels}, kernel_size={size}{extra}{bias})'


class _Pool(_Windows):
    """A window slid over each channel; the window's cells are combined by ``_pooled``."""

    torch_name = ''

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0) -> None:
        name = type(self).__name__
        self.kernel_size = pair(f'{name}: kernel_size', kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(f'{name}: stride', stride, 1)
        self.padding = pair(f'{name}: padding', padding, 0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f'{name}: padding {shown_pair(self.padding)} must be at most half the kernel size '
                             f'{shown_pair(self.kernel_size)} (PyTorch refuses it too)')

    def _pooled(self, cells: list[Value], label: str, inner: str) -> Value:
        raise NotImplementedError

    def __call__(self, x: Any) -> Grid:
        grid = feature_maps(f'{self!r}: the input', x)
        height, width = len(grid[0]), len(grid[0][0])
        rows, cols = self._out_shape(height, width)
        labels = position_labels(self, 'y', len(grid), rows, cols)
        inner = position_labels(self, 'max', len(grid), rows, cols)  # a max-pool's running maxima
        windows = [[[(r, s) for _, _, r, s in self._window(i, j, height, width)] for j in range(cols)]
                   for i in range(rows)]
        out: Grid = []
        for c, plane in enumerate(grid):
            pooled = []
            for i in range(rows):
                row = []
                for j in range(cols):
                    y = self._pooled([plane[r][s] for r, s in windows[i][j]], labels[c][i][j], inner[c][i][j])
                    row.append(y)
                pooled.append(row)
            out.append(pooled)
        return out

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [getattr(torch.nn, type(self).__name__)(self.kernel_size, stride=self.stride, padding=self.padding)]

    def __repr__(self) -> str:
        stride = '' if self.stride == self.kernel_size else f', stride={shown_pair(self.stride)}'
        padding = '' if self.padding == (0, 0) else f', padding={shown_pair(self.padding)}'
        return f'{type(self).__name__}(kernel_size={shown_pair(self.kernel_size)}{stride}{padding})'


class MaxPool2d(_Pool):
    """The largest value of each kernel_size window (windows ``stride`` apart, kernel_size by default), per
    channel: PyTorch's ``nn.MaxPool2d``. A chain of ``max`` nodes over the window's cells, row by row (the
    running maxima are labelled ``<path>.max.<channel>[<row>,<col>]``, the last ``<path>.y...``): the
    gradient goes to the one cell that won, the first on a tie, as in PyTorch."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0) -> None:
        super().__init__(kernel_size, stride, padding)

    def _pooled(self, cells: list[Value], label: str, inner: str) -> Value:
        running = cells[0]
        if len(cells) == 1:
            return dot([1.0], [running])  # a node of its own, to carry the label
        for cell in cells[1:]:
            running = running.maximum(cell)  # ops.MAXIMUM: computed anew wherever a compiled graph is replayed
            running.label = inner
        running.label = label
        return running


class AvgPool2d(_Pool):
    """The mean of each kernel_size window, per channel: PyTorch's ``nn.AvgPool2d`` (padding counts as
    zeros in the mean, ``count_include_pad=True``): one weighted sum with weights 1 / (rows * cols)."""

    def _pooled(self, cells: list[Value], label: str, inner: str) -> Value:
        share = 1.0 / (self.kernel_size[0] * self.kernel_size[1])
        y = dot([share] * len(cells), cells)
        y.label = label
        return y


class Flatten(Module):
    """``[channel][row][col]`` (or any nesting of lists) to one flat list, channel by channel, row by row:
    what ``nn.Flatten()`` does to each sample of a batch. It makes no nodes: the Values keep their names."""

    def __call__(self, x: Any) -> list[Value]:
        out: list[Value] = []
        _flatten_into(out, x, 'Flatten(): the input')
        return out

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [torch.nn.Flatten()]

    def __repr__(self) -> str:
        return 'Flatten()'


def _flatten_into(out: list[Value], x: Any, what: str) -> None:
    if isinstance(x, Value):
        out.append(x)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        out.append(Value(x))
    else:
        for item in checks.sequence(what, x, 'nested lists of numbers or Values'):
            _flatten_into(out, item, what)


def map_feature_maps(function: Callable[[Value], Value], x: Sequence[Any], labels: list[list[list[str]]]) -> Grid:
    """``function`` applied to every cell of ``[channel][row][col]``, each result labelled from ``labels``."""
    out: Grid = []
    for plane, names in zip(x, labels):
        mapped = []
        for row, row_names in zip(plane, names):
            cells = []
            for v, name in zip(row, row_names):
                y = function(v if isinstance(v, Value) else Value(v))
                y.label = name
                cells.append(y)
            mapped.append(cells)
        out.append(mapped)
    return out


def position_labels(module: Module, kind: str, channels: int, rows: int, cols: int) -> list[list[list[str]]]:
    """``<path>.<kind>.<channel>[<row>,<col>]`` for every cell of a module's output, made once per name and
    shape: the bracket is the notation explain() reads as a position."""
    cache: dict[Any, Any] = module.__dict__.setdefault('_label_cache', {})
    key = (kind, channels, rows, cols)
    if key not in cache:
        prefix = f'{module._name}.{kind}' if module._name else kind
        cache[key] = [[[f'{prefix}.{c}[{i},{j}]' for j in range(cols)] for i in range(rows)] for c in range(channels)]
    return cache[key]  # type: ignore[no-any-return]
