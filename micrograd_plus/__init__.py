"""micrograd_plus: a scalar reverse-mode autograd engine you can see into."""
from .engine import AnomalyError, Value, topological_order
from .autodiff import central_difference, detect_anomaly, enable_grad, grad, gradcheck, no_grad

__all__ = ['Value', 'AnomalyError', 'topological_order', 'grad', 'gradcheck', 'central_difference',
           'no_grad', 'enable_grad', 'detect_anomaly']
__version__ = '0.1.0'
