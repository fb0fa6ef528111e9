"""The playground's settings: their names, defaults and checks, and their form in a page's address.

One place says what a setting may be, so the widget's keyword arguments, its controls and the served page's
``#dataset=circles&layers=6,3`` address are checked alike. The address uses TensorFlow Playground's names where
it has one (``learningRate``, ``regularizationRate``, ``networkShape``, ``percTrainData``, ``xSquared``...), so
a teacher's preset reads the same in both, and a link copied from it opens here (its ``noise=35``, in percent,
is a standard deviation of 0.35).
"""
from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from .. import checks

DATASETS = ('moons', 'circles', 'xor', 'spiral', 'blobs')
OPTIMIZERS = ('sgd', 'momentum', 'adam')
ACTIVATIONS = ('tanh', 'relu', 'sigmoid', 'linear')
REGULARIZATIONS = ('none', 'L1', 'L2')
# name -> (how it is computed from a point (x1, x2), how the page labels it)
FEATURES: dict[str, tuple[Callable[[float, float], float], str]] = {
    'x1': (lambda a, b: a, 'x₁'),
    'x2': (lambda a, b: b, 'x₂'),
    'x1^2': (lambda a, b: a * a, 'x₁²'),
    'x2^2': (lambda a, b: b * b, 'x₂²'),
    'x1*x2': (lambda a, b: a * b, 'x₁x₂'),
    'sin(x1)': (lambda a, b: math.sin(a), 'sin(x₁)'),
    'sin(x2)': (lambda a, b: math.sin(b), 'sin(x₂)'),
}
MAX_LAYERS = 6    # hidden layers, as TensorFlow Playground: the picture has room for them
MAX_NEURONS = 8   # per hidden layer
MAX_SAMPLES = 2_000  # points: every step and every redraw reads them all, in plain Python

DEFAULTS: dict[str, Any] = {
    'dataset': 'circles', 'noise': 0.1, 'n_samples': 200, 'train_fraction': 0.5, 'batch_size': 10,
    'learning_rate': 0.03, 'optimizer': 'sgd', 'activation': 'tanh', 'layers': [4, 2],
    'regularization': 'none', 'regularization_rate': 0.0, 'features': ['x1', 'x2'], 'seed': 0,
}
# settings that make new data, or a new network: changing one starts training again from step 0
REBUILDS = ('dataset', 'noise', 'n_samples', 'train_fraction', 'seed', 'activation', 'layers', 'features')


def _layers(value: Any) -> list[int]:
    sizes = checks.listed('layers', value, 'a list of hidden layer sizes, like [4, 2] (or [] for none)')
    if len(sizes) > MAX_LAYERS:
        raise ValueError(f'layers has {len(sizes)} hidden layers; the playground shows at most {MAX_LAYERS}')
    counts = [checks.count(f'layers[{i}], a number of neurons,', n, at_most=None) for i, n in enumerate(sizes)]
    for i, n in enumerate(counts):
        if n > MAX_NEURONS:
            raise ValueError(f'layers[{i}] has {n} neurons; the playground shows at most {MAX_NEURONS} in a layer')
    return counts


def _features(value: Any) -> list[str]:
    chosen = [checks.choice('each of features', name, FEATURES) for name in
              checks.listed('features', value, "a list of input features, like ['x1', 'x2']")]
    if not chosen:
        raise ValueError(f'features must name at least one input, from {", ".join(FEATURES)}')
    return [name for name in FEATURES if name in chosen]  # the picture's order, each once


def _seed(value: Any) -> int:
    return checks.count('seed', value, at_least=0, at_most=2 ** 32 - 1)


CHECKS: dict[str, Callable[[Any], Any]] = {
    'dataset': lambda v: checks.choice('dataset', v, DATASETS + ('custom',)),
    'noise': lambda v: checks.real('noise', v, at_least=0, at_most=1, need='a standard deviation in [0, 1]'),
    'n_samples': lambda v: checks.count('n_samples', v, at_least=20, at_most=MAX_SAMPLES),
    'train_fraction': lambda v: checks.real('train_fraction', v, at_least=0.1, at_most=0.9,
                                            need='the share of points trained on, in [0.1, 0.9]'),
    'batch_size': lambda v: checks.count('batch_size', v, at_most=MAX_SAMPLES),
    'learning_rate': lambda v: checks.real('learning_rate', v, above=0, at_most=100, need='in (0, 100]'),
    'optimizer': lambda v: checks.choice('optimizer', v, OPTIMIZERS),
    'activation': lambda v: checks.choice('activation', v, ACTIVATIONS),
    'layers': _layers,
    'regularization': lambda v: checks.choice('regularization', 'none' if v is None else v, REGULARIZATIONS),
    'regularization_rate': lambda v: checks.real('regularization_rate', v, at_least=0, at_most=100,
                                                 need='in [0, 100]'),
    'features': _features,
    'seed': _seed,
}


def checked(settings: Mapping[str, Any], base: Mapping[str, Any] = DEFAULTS) -> dict[str, Any]:
    """``base`` (every setting, as DEFAULTS) with ``settings`` applied, each checked; an unknown name is refused
    with the known ones."""
    if not isinstance(settings, Mapping):
        raise TypeError(f'the settings must be a dict of settings, like {{"dataset": "xor"}}, got '
                        f'{checks.shown(settings)}')
    _complete('base', base)
    unknown = [name for name in settings if name not in CHECKS]
    if unknown:
        raise TypeError(f'unknown playground setting {unknown[0]!r}: the settings are {", ".join(CHECKS)}')
    result = {name: list(value) if isinstance(value, list) else value for name, value in base.items()}
    for name, value in settings.items():
        result[name] = CHECKS[name](value)
    if result['dataset'] == 'custom' and base.get('dataset') != 'custom':
        raise ValueError("dataset='custom' means your own points: pass them as Playground(X=..., y=...)")
    return result


def _complete(what: str, settings: Any) -> None:
    if not isinstance(settings, Mapping) or set(settings) != set(DEFAULTS):
        raise TypeError(f'{what} must be a dict of every setting, like playground.DEFAULTS, got '
                        f'{checks.shown(settings)}')


# ---------------------------------------------------------------- the page's address

def _number_list(text: str) -> list[int]:
    return [int(part) for part in text.split(',') if part.strip()]


def _percent_in(text: str) -> float:
    return float(text) / 100


def _noise_in(text: str) -> float:
    """A standard deviation in [0, 1]; above 1, TensorFlow Playground's percent (noise=35 is 0.35)."""
    noise = float(text)
    return noise / 100 if noise > 1 else noise


# address name -> (setting, reads the text, writes the setting)
_ADDRESS: dict[str, tuple[str, Callable[[str], Any], Callable[[Any], str]]] = {
    'dataset': ('dataset', str, str),
    'noise': ('noise', _noise_in, repr),
    'points': ('n_samples', int, str),
    'percTrainData': ('train_fraction', _percent_in, lambda v: f'{round(v * 100)}'),
    'batchSize': ('batch_size', int, str),
    'learningRate': ('learning_rate', float, repr),
    'optimizer': ('optimizer', str, str),
    'activation': ('activation', str, str),
    'layers': ('layers', _number_list, lambda v: ','.join(map(str, v))),
    'regularization': ('regularization', str, str),
    'regularizationRate': ('regularization_rate', float, repr),
    'seed': ('seed', int, str),
}
ALIASES = {'networkShape': 'layers'}
DATASET_ALIASES = {'circle': 'circles', 'gauss': 'blobs', 'moon': 'moons'}  # TensorFlow Playground's names
# TensorFlow Playground's names for how its page looks: a link copied from it still opens here
PRESENTATION = ('showTestData', 'discretize', 'collectStats', 'hideText', 'tutorial', 'initZero', 'regDataset')
FEATURE_FLAGS = {'x': 'x1', 'y': 'x2', 'xSquared': 'x1^2', 'ySquared': 'x2^2', 'xTimesY': 'x1*x2',
                 'sinX': 'sin(x1)', 'sinY': 'sin(x2)'}


def from_address(fragment: str, base: Mapping[str, Any] = DEFAULTS) -> dict[str, Any]:
    """The settings a page address's fragment asks for (``#dataset=circles&layers=6,3&learningRate=0.1``),
    checked, over ``base``. Names it does not know are refused, so a typo is not silently ignored."""
    fragment = checks.text('from_address(fragment)', fragment)
    _complete('from_address(base)', base)
    pairs = urllib.parse.parse_qsl(fragment.lstrip('#'), keep_blank_values=True)
    changes: dict[str, Any] = {}
    features = list(base['features'])
    for name, text in pairs:
        name = ALIASES.get(name, name)
        if name in PRESENTATION or (name == 'problem' and text == 'classification'):
            continue
        if name == 'problem':
            raise ValueError(f'problem={text!r} in the address: the playground separates two classes; leave it out '
                             'or write problem=classification')
        if name in FEATURE_FLAGS:
            feature = FEATURE_FLAGS[name]
            features = [f for f in features if f != feature] + ([feature] if _flag(name, text) else [])
            changes['features'] = features
            continue
        if name not in _ADDRESS:
            known = ', '.join([*_ADDRESS, *FEATURE_FLAGS])
            raise ValueError(f'unknown setting {name!r} in the address: the names are {known}')
        setting, read, _ = _ADDRESS[name]
        if setting == 'dataset':
            text = DATASET_ALIASES.get(text, text)
        if setting == 'regularization' and text in ('', 'null'):
            text = 'none'
        try:
            changes[setting] = read(text)
        except ValueError:
            want = {'layers': 'numbers like 6,3', 'n_samples': 'a whole number', 'batch_size': 'a whole number',
                    'seed': 'a whole number'}.get(setting, 'a number')
            raise ValueError(f'{name}={text!r} in the address: {name} takes {want}') from None
    return checked(changes, base)


def _flag(name: str, text: str) -> bool:
    if text not in ('true', 'false'):
        raise ValueError(f'{name}={text!r} in the address must be true or false')
    return text == 'true'


def to_address(settings: Mapping[str, Any]) -> str:
    """The fragment (without '#') that from_address reads back to ``settings`` (your own points excepted)."""
    _complete('to_address(settings)', settings)
    custom = settings['dataset'] == 'custom'
    settings = checked(settings, {**DEFAULTS, 'dataset': 'custom'} if custom else DEFAULTS)
    parts = [f'{name}={write(settings[setting])}' for name, (setting, _, write) in _ADDRESS.items()
             if not (setting == 'dataset' and settings[setting] == 'custom')]
    parts += [f'{flag}={str(feature in settings["features"]).lower()}' for flag, feature in FEATURE_FLAGS.items()]
    return '&'.join(parts)
