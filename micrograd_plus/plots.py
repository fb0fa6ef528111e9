"""Pictures a course needs, drawn with matplotlib (imported on first use: the engine never needs it).

Each function draws into ``ax`` (a matplotlib Axes, or a new figure's when None) and returns the Axes, so
a lesson can put several side by side.
"""
from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Any

from . import checks
from .engine import Value


def _pyplot() -> Any:
    try:
        return importlib.import_module('matplotlib.pyplot')
    except ImportError:
        raise ModuleNotFoundError('micrograd_plus.plots draws with matplotlib, which micrograd_plus does not '
                                  'install: pip install matplotlib') from None


def _number(x: Any) -> float:
    return float(x.data) if isinstance(x, Value) else float(x)


# ---------------------------------------------------------------- images and sequences (issue 19)

def _grid(what: str, image: Any) -> list[list[float]]:
    """A 2-D list of numbers from rows of numbers or Values."""
    rows = checks.sequence(what, image, 'rows of numbers or Values')
    grid = [[_number(v) for v in checks.sequence(f'{what}: row {r}', row, 'a list of numbers or Values')]
            for r, row in enumerate(rows)]
    if not grid or len({len(row) for row in grid}) != 1 or not grid[0]:
        raise ValueError(f'{what} must be rows of the same length (at least one), got lengths '
                         f'{[len(row) for row in grid]}')
    return grid


def _checked_axes(what: str, ax: Any) -> Any:
    if not (hasattr(ax, 'imshow') and hasattr(ax, 'figure')):
        raise TypeError(f'{what} must be a matplotlib Axes (fig, ax = plt.subplots()), got {checks.shown(ax)}')
    return ax


def _axes_row(n: int, axes: Any, size: float) -> list[Any]:
    """n Axes in a row: the ones given (a list of n), or a new figure's, each size inches wide."""
    size = checks.real('size (inches per picture)', size, above=0, at_most=20)
    if axes is None:
        _, made = _pyplot().subplots(1, n, figsize=(size * n, size + 0.4), squeeze=False, layout='constrained')
        return list(made[0])
    axes = list(checks.sequence('axes', axes, f'a list of {n} matplotlib Axes'))
    if len(axes) != n:
        raise ValueError(f'axes must hold {n} matplotlib Axes, one per picture, got {len(axes)}')
    return [_checked_axes(f'axes[{k}]', ax) for k, ax in enumerate(axes)]


COLORS = {'grey': 'gray_r', 'signed': 'RdBu_r', 'heat': 'viridis'}  # what image_grid's colors name


def image_grid(images: Sequence[Any], titles: Sequence[str] | None = None, axes: Any = None,
               colors: str = 'grey', size: float = 1.6) -> list[Any]:
    """Small 2-D images (rows of numbers or Values) side by side, each with its title: digits, kernels,
    feature maps. ``colors``: 'grey' (ink on paper), 'heat' (dark low, yellow high) or 'signed' (the scale
    centred on 0: red +, blue -, for weights)."""
    images = checks.sequence('image_grid(images)', images, 'a list of images (rows of numbers or Values)')
    if not images:
        raise ValueError('image_grid(images) needs at least one image')
    grids = [_grid(f'image_grid(images): image {k}', image) for k, image in enumerate(images)]
    if titles is not None:
        titles = [checks.text('image_grid(titles): a title', title)
                  for title in checks.sequence('image_grid(titles)', titles, 'a list of titles')]
        if len(titles) != len(grids):
            raise ValueError(f'image_grid: {len(grids)} images but {len(titles)} titles')
    colors = checks.choice('image_grid(colors)', colors, COLORS)
    row = _axes_row(len(grids), axes, size)
    for k, (ax, grid) in enumerate(zip(row, grids)):
        extra: dict[str, Any] = {}
        if colors == 'signed':
            reach = max(abs(v) for line in grid for v in line) or 1.0
            extra = {'vmin': -reach, 'vmax': reach}
        ax.imshow(grid, cmap=COLORS[colors], interpolation='nearest', **extra)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    return row


def kernels(conv: Any, axes: Any = None, size: float = 1.6) -> list[Any]:
    """A Conv2d's kernels as small images, one per (output channel, input channel): red weights add the
    pixel under them, blue ones subtract it. Titled with the weights' names (``weight.o.c``)."""
    weight = getattr(conv, 'weight', None)
    if not hasattr(conv, 'kernel_size') or not isinstance(weight, list):
        raise TypeError(f'kernels(conv) takes a Conv2d, got {checks.shown(conv)}')
    images = [plane for kernel in weight for plane in kernel]
    prefix = f'{conv._name}.' if conv._name else ''
    titles = [f'{prefix}weight.{o}.{c}' for o, kernel in enumerate(weight) for c in range(len(kernel))]
    return image_grid(images, titles, axes=axes, colors='signed', size=size)


def feature_maps(maps: Any, axes: Any = None, title: str = 'channel', size: float = 1.6) -> list[Any]:
    """One sample's feature maps ``[channel][row][col]`` (numbers or Values), one image per channel."""
    maps = checks.sequence('feature_maps(maps)', maps, 'feature maps [channel][row][col]')
    title = checks.text('feature_maps(title)', title)
    return image_grid(list(maps), [f'{title} {c}' for c in range(len(maps))], axes=axes, colors='heat', size=size)


def unrolled(norms: Sequence[float], ax: Any = None, label: str = 'h', title: str | None = None) -> Any:
    """An RNN unrolled through time: one box per time step (h_0, h_1, ...) chained left to right, each with a
    bar under it as tall as the gradient norm that reached it, on a log scale: backpropagation through time
    at a glance (bars that shrink to the left: vanishing; that grow: exploding)."""
    norms = [checks.real(f'unrolled(norms): step {t}', n, at_least=0, finite=False)
             for t, n in enumerate(checks.sequence('unrolled(norms)', norms, 'a list of gradient norms'))]
    if not norms:
        raise ValueError('unrolled(norms) needs the norm of at least one time step')
    label = checks.text('unrolled(label)', label)
    title = None if title is None else checks.text('unrolled(title)', title)
    if ax is not None:
        _checked_axes('unrolled(ax)', ax)
    else:
        _, ax = _pyplot().subplots(figsize=(max(4.0, 0.45 * len(norms) + 1.5), 3.2), layout='constrained')
    positive = [n for n in norms if n > 0 and math.isfinite(n)] or [1.0]
    low, high = math.log10(min(positive)), math.log10(max(positive))
    span = max(high - low, 1e-9)
    crowded = len(norms) > 12  # then every box is drawn, and every few steps named and numbered
    every = max(1, round(len(norms) / 8)) if crowded else 1
    for t, n in enumerate(norms):
        height = 0.05 + 0.95 * ((math.log10(n) - low) / span if n > 0 and math.isfinite(n) else 0.0)
        ax.bar(t, -height, width=0.6, bottom=-0.25, color='#d95f02')
        ax.add_patch(_pyplot().Rectangle((t - 0.3, 0.0), 0.6, 0.5, facecolor='#e8f1fa', edgecolor='#3b6ea5'))
        if t and not crowded:
            ax.annotate('', xy=(t - 0.3, 0.25), xytext=(t - 0.7, 0.25), arrowprops={'arrowstyle': '->'})
        if t % every == 0 or t == len(norms) - 1:
            ax.text(t, 0.25, f'{label}{t}', ha='center', va='center', fontsize=8 if not crowded else 7,
                    rotation=0 if not crowded else 90)
            ax.text(t, -1.3, f'{n:.0e}', ha='center', va='top', fontsize=7, rotation=90)
    ax.set_xlim(-0.7, len(norms) - 0.3)
    ax.set_ylim(-1.75, 0.6)
    ax.set_yticks([])
    ax.set_xlabel('time step t (the gradient flows right to left)')
    ax.set_title(title or f'|dL/d{label}_t| reaching each time step (bars: log scale)', fontsize=10)
    for side in ('left', 'right', 'top'):
        ax.spines[side].set_visible(False)
    return ax
