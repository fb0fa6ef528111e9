"""PyTorch back to micrograd_plus: ``from_torch``. The other way, ``Module.to_torch()``, asks each layer for
its PyTorch counterpart. PyTorch is imported only when called: a way on, never a dependency."""
from __future__ import annotations

from typing import Any

from .conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from .layers import BatchNorm, Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh, torch_residual_class
from .module import Module, import_torch
from .recurrent import RNN, Embedding, RNNCell

# what users import; the other public names here serve the layer files of this package
__all__ = ['from_torch']


def from_torch(module: Any) -> Module:
    """A PyTorch model as a micrograd_plus one with the same weights, buffers and mode: ``nn.Sequential``
    becomes Sequential (nested ones too), and ``nn.Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Dropout``,
    ``BatchNorm1d`` (affine, with running statistics), a Residual made by ``to_torch()``, ``Conv2d``,
    ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``RNN`` (one layer), ``RNNCell`` and ``Embedding`` their namesakes.
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
        converted = _from_torch_images_and_sequences(nn, module)
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


def _from_torch_images_and_sequences(nn: Any, module: Any) -> Module:
    """The layers of nn/conv.py and nn/recurrent.py from their PyTorch namesakes."""
    if isinstance(module, nn.Conv2d):
        return _from_torch_conv(module)
    if type(module) in (nn.MaxPool2d, nn.AvgPool2d):
        return _from_torch_pool(nn, module)
    if isinstance(module, nn.Flatten):
        if module.start_dim != 1 or module.end_dim != -1:
            raise TypeError('from_torch() converts nn.Flatten() with its defaults (start_dim=1, end_dim=-1) only')
        return Flatten()
    if isinstance(module, (nn.RNN, nn.RNNCell)):
        return _from_torch_rnn(nn, module)
    if isinstance(module, nn.Embedding):
        embedding = Embedding(module.num_embeddings, module.embedding_dim)
        for row, values in zip(embedding.weight, _floats(module.weight)):
            for p, value in zip(row, values):
                p.data = value
        return embedding
    raise TypeError(f'from_torch() converts nn.Sequential, Linear, ReLU, Tanh, Sigmoid, Dropout, BatchNorm1d, '
                    f'Conv2d, MaxPool2d, AvgPool2d, Flatten, RNN, RNNCell and Embedding, not {type(module).__name__}')


def _set(parameters: Any, numbers: Any) -> None:
    """Nested lists of Values take the numbers of nested lists of the same shape."""
    for p, value in zip(parameters, numbers):
        if isinstance(p, list):
            _set(p, value)
        else:
            p.data = value


def _from_torch_conv(module: Any) -> Conv2d:
    if module.groups != 1 or tuple(module.dilation) != (1, 1) or module.padding_mode != 'zeros' \
            or isinstance(module.padding, str):
        raise TypeError('from_torch() converts nn.Conv2d with groups=1, dilation=1, numeric padding and '
                        "padding_mode='zeros' only")
    conv = Conv2d(module.in_channels, module.out_channels, tuple(module.kernel_size), stride=tuple(module.stride),
                  padding=tuple(module.padding), bias=module.bias is not None)
    _set(conv.weight, _floats(module.weight))
    if conv.bias is not None:
        _set(conv.bias, _floats(module.bias))
    return conv


def _from_torch_pool(nn: Any, module: Any) -> Module:
    if isinstance(module, nn.MaxPool2d):
        plain = module.dilation in (1, (1, 1)) and not module.return_indices
    else:
        plain = module.count_include_pad and module.divisor_override is None
    plain = plain and not module.ceil_mode
    if not plain:
        raise TypeError(f'from_torch() converts nn.{type(module).__name__} with kernel_size, stride and padding only '
                        '(the other arguments at their defaults)')
    pool = MaxPool2d if isinstance(module, nn.MaxPool2d) else AvgPool2d
    return pool(module.kernel_size, stride=module.stride, padding=module.padding)


def _from_torch_rnn(nn: Any, module: Any) -> Module:
    suffix = ''
    if isinstance(module, nn.RNN):
        if module.num_layers != 1 or module.bidirectional or module.proj_size:
            raise TypeError('from_torch() converts a one-layer, one-directional nn.RNN only (num_layers=1, '
                            'bidirectional=False)')
        rnn: RNNCell = RNN(module.input_size, module.hidden_size, nonlinearity=module.nonlinearity,
                           bias=module.bias)
        suffix = '_l0'
    else:
        rnn = RNNCell(module.input_size, module.hidden_size, bias=module.bias, nonlinearity=module.nonlinearity)
    _set(rnn.weight_ih, _floats(getattr(module, 'weight_ih' + suffix)))
    _set(rnn.weight_hh, _floats(getattr(module, 'weight_hh' + suffix)))
    if rnn.bias_ih is not None and rnn.bias_hh is not None:
        _set(rnn.bias_ih, _floats(getattr(module, 'bias_ih' + suffix)))
        _set(rnn.bias_hh, _floats(getattr(module, 'bias_hh' + suffix)))
    return rnn
