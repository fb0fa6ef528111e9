"""PyTorch back to micrograd_plus: ``from_torch``. The other way, ``Module.to_torch()``, asks each layer for
its PyTorch counterpart. PyTorch is imported only when called: a way on, never a dependency."""
from __future__ import annotations

from typing import Any

from .layers import BatchNorm, Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh, torch_residual_class
from .module import Module, import_torch

# what users import; the other public names here serve the layer files of this package
__all__ = ['from_torch']


def from_torch(module: Any) -> Module:
    """A PyTorch model as a micrograd_plus one with the same weights, buffers and mode: ``nn.Sequential``
    becomes Sequential (nested ones too), and ``nn.Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Dropout``,
    ``BatchNorm1d`` (affine, with running statistics) and a Residual made by ``to_torch()`` their namesakes.
    Weights are read as float64 (a float32 model's numbers exactly)."""
    torch = import_torch('from_torch()')
    nn = torch.nn
    if isinstance(module, nn.Sequential):
        converted: Module = Sequential(*(from_torch(child) for child in module))
    elif isinstance(module, nn.Linear):
        converted = _from_torch_linear(module)
    elif type(module) in (nn.ReLU, nn.Tanh, nn.Sigmoid):
        converted = {nn.ReLU: ReLU, nn.Tanh: Tanh, nn.Sigmoid: Sigmoid}[type(module)]()
    elif isinstance(module, nn.Dropout):
        converted = Dropout(module.p)
    elif isinstance(module, nn.BatchNorm1d):
        converted = _from_torch_batchnorm(module)
    elif isinstance(module, torch_residual_class(torch)):
        converted = Residual(from_torch(module.module))
    else:
        raise TypeError(f'from_torch() converts nn.Sequential, Linear, ReLU, Tanh, Sigmoid, Dropout and '
                        f'BatchNorm1d, not {type(module).__name__}')
    if isinstance(converted, (Sequential, Residual)):  # its layers were converted with their own modes
        converted.training = bool(module.training)
        return converted
    return converted.train(bool(module.training))


def _floats(tensor: Any) -> Any:
    return tensor.detach().double().tolist()


def _from_torch_linear(module: Any) -> Linear:
    linear = Linear(module.in_features, module.out_features, bias=module.bias is not None)
    weights = _floats(module.weight)
    biases = _floats(module.bias) if module.bias is not None else [None] * module.out_features
    for neuron, row, b in zip(linear.neurons, weights, biases):
        for w, value in zip(neuron.w, row):
            w.data = value
        if neuron.b is not None:
            neuron.b.data = b
    return linear


def _from_torch_batchnorm(module: Any) -> BatchNorm:
    if not module.affine or not module.track_running_stats:
        raise TypeError('from_torch() converts BatchNorm1d with affine=True and track_running_stats=True '
                        '(the defaults) only')
    norm = BatchNorm(module.num_features, momentum=module.momentum, eps=module.eps)
    for p, value in zip(norm.weight + norm.bias, _floats(module.weight) + _floats(module.bias)):
        p.data = value
    norm.running_mean = _floats(module.running_mean)
    norm.running_var = _floats(module.running_var)
    norm.num_batches_tracked = int(module.num_batches_tracked)
    return norm
