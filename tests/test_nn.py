import copy
import json
import math
import os
import random
import stat
import struct
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_plus.autodiff import grad, no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value, topological_order
from micrograd_plus.losses import hinge, l2_penalty, mse
from micrograd_plus.nn import (
    MLP,
    BatchNorm,
    Dropout,
    Layer,
    Linear,
    Module,
    Neuron,
    ParameterFileError,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Tanh,
    from_torch,
    grad_norms,
)
from micrograd_plus.optim import SGD


def bits(x: float) -> bytes:
    return struct.pack('<d', x)


# ---------------------------------------------------------------- micrograd compatibility

def test_reprs_match_micrograd():
    assert repr(Neuron(2)) == 'ReLUNeuron(2)'
    assert repr(Neuron(3, nonlin=False)) == 'LinearNeuron(3)'
    assert repr(Neuron(3, activation='tanh')) == 'TanhNeuron(3)'
    assert repr(Layer(2, 2)) == 'Layer of [ReLUNeuron(2), ReLUNeuron(2)]'
    assert repr(MLP(2, [2, 1])) == 'MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]'


def test_same_random_seed_gives_micrograds_weights_in_micrograds_parameter_order():
    # micrograd draws random.uniform(-1, 1) per weight, neuron by neuron, with bias 0; parameters() lists
    # each neuron's w then b, layer by layer
    random.seed(1337)
    model = MLP(2, [3, 2, 1])
    random.seed(1337)
    expected = []
    for nin, nout in ((2, 3), (3, 2), (2, 1)):
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected
    assert model.parameters() == [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]


def test_hidden_layers_are_relu_and_the_last_is_linear():
    model = MLP(2, [4, 4, 1])
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 8 + [False]


def test_layer_with_one_neuron_returns_a_value_and_several_return_a_list():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_mlp_with_a_one_neuron_hidden_layer_trains():
    model = MLP(2, [1, 3, 1], rng=0)  # micrograd fails here: its Layer hands a Value to the next zip()
    out = model([0.5, -1.0])
    out.backward()
    assert isinstance(out, Value)
    assert any(p.grad != 0 for p in model.layers[2].parameters())
    assert isinstance(MLP(2, [3, 1, 2], rng=0)([1.0, 1.0]), list)


def test_micrograd_style_calls_with_value_inputs_and_nonlin_keyword():
    layer = Layer(2, 2, nonlin=False)
    assert repr(layer) == 'Layer of [LinearNeuron(2), LinearNeuron(2)]'
    out = layer(list(map(Value, [1.0, 2.0])))
    assert all(isinstance(o, Value) for o in out)


def test_zero_grad_sets_every_grad_to_float_zero():
    model = MLP(2, [3, 1], rng=1)
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 and isinstance(p.grad, float) for p in model.parameters())


# ---------------------------------------------------------------- forward pass and speed structure

@pytest.mark.parametrize('activation, f', [
    ('relu', lambda z: max(z, 0.0)), ('tanh', math.tanh), ('sigmoid', lambda z: 1 / (1 + math.exp(-z))),
    ('linear', lambda z: z)])
def test_neuron_value_and_gradients_equal_the_written_out_math(activation, f):
    neuron = Neuron(3, activation=activation, rng=3)
    neuron.b.data = 0.3
    xs = [Value(0.5), Value(-1.5), Value(2.0)]
    out = neuron(xs)
    z = 0.3 + sum(w.data * x.data for w, x in zip(neuron.w, xs))
    assert out.data == pytest.approx(f(z), rel=1e-14)
    # against the unfused micrograd expression, value and every gradient
    ws = [Value(w.data) for w in neuron.w]
    b = Value(0.3)
    act = sum((w * x for w, x in zip(ws, [Value(0.5), Value(-1.5), Value(2.0)])), b)
    reference = {'relu': act.relu, 'tanh': act.tanh, 'sigmoid': act.sigmoid, 'linear': lambda: act}[activation]()
    assert grad(out, neuron.w + [neuron.b]) == pytest.approx(grad(reference, ws + [b]), rel=1e-12)


def test_a_neuron_is_one_dot_node_plus_its_activation():
    relu_out = Neuron(16, rng=0)([1.0] * 16)
    assert relu_out._op == 'ReLU' and relu_out._prev[0]._op == 'dot'
    assert Neuron(16, nonlin=False, rng=0)([1.0] * 16)._op == 'dot'
    # a whole MLP(2, [16, 16, 1]) forward: 33 dots, 32 relus, 2 inputs, 337 parameters
    assert len(topological_order(MLP(2, [16, 16, 1], rng=0)([0.1, 0.2]))) == 33 + 32 + 2 + 337


def test_evaluation_under_no_grad_builds_no_graph():
    model = MLP(2, [4, 1], rng=0)
    with no_grad():
        out = model([1.0, 2.0])
    assert out._prev == ()


def test_wrong_number_of_inputs_is_a_clear_error():
    with pytest.raises(ValueError, match=r'ReLUNeuron\(2\) takes 2 inputs, got 3'):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])


# ---------------------------------------------------------------- activation, init, seeds

def test_lecture_network_is_tanh_everywhere():
    model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')
    assert repr(model) == ('MLP of [Layer of [TanhNeuron(3), TanhNeuron(3), TanhNeuron(3), TanhNeuron(3)], '
                           'Layer of [TanhNeuron(4), TanhNeuron(4), TanhNeuron(4), TanhNeuron(4)], '
                           'Layer of [TanhNeuron(4)]]')
    assert -1 < model([1.0, 2.0, 3.0]).data < 1


def test_seed_and_random_instance_reproduce_the_same_model():
    a = MLP(2, [5, 1], rng=42).state_dict()
    assert MLP(2, [5, 1], rng=42).state_dict() == a
    assert MLP(2, [5, 1], rng=random.Random(42)).state_dict() == a
    assert MLP(2, [5, 1], rng=43).state_dict() != a
    with pytest.raises(TypeError, match='seed must be an int, a random.Random or None'):
        MLP(2, [1], rng='42')


def test_inits_have_their_ranges_and_spreads():
    uniform = Layer(50, 40, init='uniform', rng=0)
    xavier = Layer(50, 40, init='xavier', rng=0)
    he = Layer(50, 40, init='he', rng=0)

    def weights(layer):
        return [w.data for n in layer.neurons for w in n.w]
    assert max(map(abs, weights(uniform))) <= 1 and max(map(abs, weights(uniform))) > 0.99
    limit = math.sqrt(6 / (50 + 40))
    assert limit * 0.98 < max(map(abs, weights(xavier))) <= limit
    he_weights = weights(he)
    std = math.sqrt(sum(w * w for w in he_weights) / len(he_weights))
    assert std == pytest.approx(math.sqrt(2 / 50), rel=0.05)
    assert all(n.b.data == 0.0 for layer in (uniform, xavier, he) for n in layer.neurons)


def test_unknown_activation_or_init_names_the_choices():
    with pytest.raises(ValueError, match="'relu', 'tanh', 'sigmoid', 'linear'"):
        Neuron(2, activation='gelu')
    with pytest.raises(ValueError, match="'uniform', 'xavier', 'he'"):
        MLP(2, [1], init='kaiming')
    with pytest.raises(ValueError, match='at least one layer'):
        MLP(2, [])


# ---------------------------------------------------------------- names and labels

def test_named_parameters_are_dotted_paths_and_labels():
    model = MLP(2, [3, 1], rng=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
    assert names[-1] == 'layers.1.neurons.0.b' and len(names) == 3 * 3 + 4
    assert all(p.label == name for name, p in model.named_parameters())
    big = MLP(2, [4, 4, 1], rng=0)
    assert dict(big.named_parameters())['layers.0.neurons.3.w.1'] is big.layers[0].neurons[3].w[1]


def test_a_custom_module_finds_its_parameters_in_attribute_order():
    class Affine(Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.body = MLP(1, [2, 1], rng=0)
            self.extra = [Value(1.0), 'not a parameter', Neuron(1, rng=0)]
            self._cache = Value(9.0)  # private attributes are not parameters

        def __call__(self, x):
            return self.body([x * self.scale])

    module = Affine()
    names = [name for name, _ in module.named_parameters()]
    assert names[0] == 'scale' and names[1] == 'body.layers.0.neurons.0.w.0'
    assert names[-3:] == ['extra.0', 'extra.2.w.0', 'extra.2.b']
    assert len(module.parameters()) == 1 + 7 + 1 + 2


# ---------------------------------------------------------------- training

def test_moons_reach_full_training_accuracy_within_100_steps():
    X, labels = make_moons(100, noise=0.1, seed=1337)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [16, 16, 1], rng=1337)
    optimizer = SGD(model.parameters(), lr=1.0)
    for step in range(100):
        scores = [model(x) for x in X]
        accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y)) / len(y)
        if accuracy == 1.0:
            break
        loss = hinge(scores, y) + l2_penalty(model.parameters(), 1e-4)
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * step / 100
        optimizer.step()
    assert accuracy == 1.0, f'{accuracy:.0%} after 100 steps'
    with no_grad():
        assert all((model(x).data > 0) == (t > 0) for x, t in zip(X, y))


def test_lecture_tanh_network_fits_the_four_points():
    xs = [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]]
    ys = [1, -1, -1, 1]
    model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', rng=42)
    optimizer = SGD(model.parameters(), lr=0.05)
    for _ in range(200):
        loss = mse([model(x) for x in xs], ys, reduction='sum')  # the lecture's loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert mse([model(x) for x in xs], ys).data < 0.01


# ---------------------------------------------------------------- state dict

def test_state_dict_round_trip_and_mismatch_leaves_the_model_untouched():
    source, target = MLP(2, [3, 1], rng=1), MLP(2, [3, 1], rng=2)
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    before = MLP(2, [3, 1], rng=3)
    snapshot = before.state_dict()
    with pytest.raises(ValueError, match=r"missing 4 parameter\(s\): 'layers.1.neurons.0.w.0'"):
        before.load_state_dict(MLP(2, [3], rng=1).state_dict())
    wrong_last = dict(source.state_dict(), **{'layers.1.neurons.0.b': 'zero'})  # bad value at the very end
    with pytest.raises(ValueError, match="'layers.1.neurons.0.b' must be a number, got str"):
        before.load_state_dict(wrong_last)
    with pytest.raises(ValueError, match='unexpected parameter'):
        before.load_state_dict(dict(source.state_dict(), extra=1.0))
    assert before.state_dict() == snapshot


# ---------------------------------------------------------------- save / load

SPECIAL = [0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, math.pi,
           math.inf, -math.inf, math.nan, 1e-300, 123456789.123456789, 2.0 ** 60 + 1]


def test_save_then_load_is_bit_exact_including_nan_and_inf(tmp_path):
    model = MLP(3, [3, 1], rng=0)
    for p, value in zip(model.parameters(), SPECIAL * 2):
        p.data = value
    path = tmp_path / 'model.json'
    model.save(path)
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f'non-standard JSON constant {c}'))
    loaded = MLP(3, [3, 1], rng=1)
    loaded.load(path)
    for p, q in zip(model.parameters(), loaded.parameters()):
        assert bits(p.data) == bits(q.data) or (math.isnan(p.data) and math.isnan(q.data))
        assert isinstance(q.data, float)


@given(st.lists(st.floats(allow_nan=False), min_size=16, max_size=16))
def test_any_finite_floats_round_trip_bit_exactly(tmp_path_factory, values):
    path = tmp_path_factory.mktemp('save') / 'm.json'
    model = MLP(3, [3, 1], rng=0)
    for p, v in zip(model.parameters(), values):
        p.data = v
    model.save(path)
    loaded = MLP(3, [3, 1], rng=1)
    loaded.load(path)
    assert [bits(p.data) for p in loaded.parameters()] == [bits(v) for v in values]


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / 'model.json'
    MLP(2, [3, 1], rng=5).save(path)
    return path


def assert_load_fails_untouched(path, match, model=None):
    model = model or MLP(2, [3, 1], rng=9)
    before = model.state_dict()
    with pytest.raises(ParameterFileError, match=match) as error:
        model.load(path)
    assert model.state_dict() == before
    return str(error.value)


def test_loading_into_a_different_architecture_says_what_differs(saved):
    message = assert_load_fails_untouched(saved, 'does not fit this model', model=MLP(2, [4, 1], rng=9))
    assert 'missing 4 parameter(s)' in message and 'saved from MLP of [Layer of [ReLUNeuron(2)' in message
    assert 'same architecture' in message


@pytest.mark.parametrize('damage, match', [
    (lambda text: text[:len(text) // 2], 'corrupt or cut off'),
    (lambda text: '', 'it is empty'),
    (lambda text: 'hello', 'corrupt or cut off'),
    (lambda text: '[1, 2]', '"format"'),
    (lambda text: text.replace('"version": 1', '"version": 99'), 'version is 99'),
    (lambda text: text.replace('"parameters"', '"params"'), '"parameters" field is missing'),
    (lambda text: text.replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": "zero"'),
     "'layers.1.neurons.0.b' must be a number"),
    (lambda text: text.replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": true'), 'must be a number'),
    (lambda text: text.replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": 1' + '0' * 400),
     'too large for a float'),
    (lambda text: text.replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": 1' + '0' * 5000),
     'cannot be read'),
])
def test_corrupt_or_truncated_files_give_clear_errors_and_leave_the_model_untouched(saved, damage, match):
    saved.write_text(damage(saved.read_text()))
    message = assert_load_fails_untouched(saved, match)
    assert str(saved) in message


def test_non_utf8_file_is_a_clear_error(saved):
    saved.write_bytes(b'\xff\xfe\x00garbage')
    assert_load_fails_untouched(saved, 'not UTF-8')


@pytest.mark.parametrize('failing', ['fsync', 'replace'])
def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(saved, monkeypatch, failing):
    old = saved.read_text()

    def disk_full(*args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match='No space left'):
        MLP(2, [3, 1], rng=6).save(saved)
    monkeypatch.undo()
    assert saved.read_text() == old
    assert os.listdir(saved.parent) == [saved.name]


def test_a_save_keeps_the_files_permissions_or_follows_the_umask(tmp_path):
    fresh = tmp_path / 'fresh.json'
    umask = os.umask(0o022)
    try:
        MLP(2, [3, 1], rng=0).save(fresh)
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644  # like open(), not mkstemp's private 0o600
    fresh.chmod(0o640)
    MLP(2, [3, 1], rng=1).save(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o640


def test_a_private_file_is_never_readable_by_others_while_it_is_saved(tmp_path, monkeypatch):
    private = tmp_path / 'private.json'
    MLP(2, [3, 1], rng=0).save(private)
    private.chmod(0o600)
    modes = []
    real_fsync = os.fsync

    def spy(fd):
        modes.extend(stat.S_IMODE(os.stat(p).st_mode) for p in tmp_path.glob('.mgp-*.tmp'))
        return real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', spy)
    MLP(2, [3, 1], rng=1).save(private)
    assert modes and set(modes) == {0o600} and stat.S_IMODE(private.stat().st_mode) == 0o600


def test_saving_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / 'weights.json'
    MLP(2, [3, 1], rng=0).save(target)
    link = tmp_path / 'latest.json'
    link.symlink_to(target)
    MLP(2, [3, 1], rng=1).save(link)
    assert link.is_symlink()
    loaded = MLP(2, [3, 1], rng=2)
    loaded.load(target)
    assert loaded.state_dict() == MLP(2, [3, 1], rng=1).state_dict()


@pytest.mark.parametrize('where, error, match', [
    ('nowhere/model.json', FileNotFoundError, 'the folder .*nowhere does not exist'),
    ('a_file/model.json', NotADirectoryError, 'a_file is a file, not a folder'),
    ('a_folder', IsADirectoryError, 'a_folder: it is a folder; give a file name such as .*a_folder/model.json'),
])
def test_saving_to_a_place_that_cannot_hold_the_file_says_why(tmp_path, where, error, match):
    (tmp_path / 'a_file').write_text('keep me')
    (tmp_path / 'a_folder').mkdir()
    with pytest.raises(error, match=match):
        MLP(2, [3, 1], rng=0).save(tmp_path / where)
    assert (tmp_path / 'a_file').read_text() == 'keep me' and not list(tmp_path.glob('**/*.tmp'))


def test_numpy_numbers_in_data_save_as_plain_numbers(tmp_path):
    np = pytest.importorskip('numpy')
    model = MLP(2, [1], rng=0)
    model.parameters()[0].data = np.float32(0.5)
    model.parameters()[1].data = 10 ** 400  # an int too big for a float: saved as inf, as Value() makes it
    model.save(tmp_path / 'model.json')
    loaded = MLP(2, [1], rng=3)
    loaded.load(tmp_path / 'model.json')
    assert loaded.parameters()[0].data == 0.5 and loaded.parameters()[1].data == math.inf


def test_a_model_survives_deepcopy():
    model = MLP(2, [3, 1], rng=0)
    clone = copy.deepcopy(model)
    assert clone.state_dict() == model.state_dict()
    assert clone([1.0, 2.0]).data == model([1.0, 2.0]).data


# ================================================================ layers that compose (issue 11)

def tensor(torch, data, grad=False):
    return torch.tensor(data, dtype=torch.float64, requires_grad=grad)


def values(rows):
    return [[Value(v) for v in row] for row in rows]


def datas(rows):
    return [[v.data for v in row] for row in rows]


def grads(rows):
    return [[v.grad for v in row] for row in rows]


def flat(x):
    return [v for item in x for v in flat(item)] if isinstance(x, (list, tuple)) else [x]


def close(a, b, rel=1e-12, abs=1e-14):
    """Equal to within rel (relative) or abs, number by number, for numbers in lists nested alike."""
    return len(flat(a)) == len(flat(b)) and flat(a) == pytest.approx(flat(b), rel=rel, abs=abs)


def weighted_sum(rows):
    """sum_ij (i + 2j + 1) * rows[i][j]: a loss whose gradient differs per output, ours or torch's."""
    return sum(v * (i + 2 * j + 1) for i, row in enumerate(rows) for j, v in enumerate(row))


def torch_weighted_sum(torch, out):
    rows, cols = out.shape
    weights = tensor(torch, [[i + 2 * j + 1 for j in range(cols)] for i in range(rows)])
    return (out * weights).sum()


def batch_of(n, features, seed=0):
    rng = random.Random(seed)
    return [[rng.gauss(0.5, 2.0) for _ in range(features)] for _ in range(n)]


# ---------------------------------------------------------------- Module: finding things, modes

def test_parameters_in_dicts_and_nested_lists_are_found_with_dotted_names():
    class Heads(Module):
        def __init__(self):
            self.heads = {'a': Value(1.0), 'b': [Value(2.0), Linear(1, 1, rng=0)]}
            self.grid = [[Value(3.0), Value(4.0)], (Value(5.0),)]

        def __call__(self, x):
            return x

    model = Heads()
    names = [name for name, _ in model.named_parameters()]
    assert names == ['heads.a', 'heads.b.0', 'heads.b.1.neurons.0.w.0', 'heads.b.1.neurons.0.b',
                     'grid.0.0', 'grid.0.1', 'grid.1.0']
    assert [p.label for p in model.parameters()] == names
    assert [name for name, _ in model.named_modules()] == ['', 'heads.b.1', 'heads.b.1.neurons.0']
    clone = Heads()
    for p in clone.parameters():
        p.data = -1.0
    clone.load_state_dict(model.state_dict())  # save/load and optimizers see them too
    assert [p.data for p in clone.parameters()] == [p.data for p in model.parameters()]


def test_a_parameter_or_module_held_twice_is_listed_once_under_its_first_name():
    class Tied(Module):
        def __init__(self):
            self.encoder = Linear(2, 2, rng=0)
            self.decoder = self.encoder  # weight tying
            self.scale = Value(2.0)
            self.again = [self.scale]

    model = Tied()
    assert len(model.parameters()) == 6 + 1
    assert [n for n, _ in model.named_modules()].count('decoder') == 0
    SGD(model.parameters(), lr=0.1)  # would refuse a parameter given twice


def test_train_and_eval_switch_every_module_and_return_it():
    model = Sequential(Linear(2, 3), Dropout(0.5), Residual(Sequential(BatchNorm(3))))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    assert not model.train(False).training
    with pytest.raises(TypeError, match='it does not train'):
        model.train([[1.0, 2.0]])


def test_a_custom_module_needs_only_init_and_call_even_for_modes():
    class NoSuper(Module):
        def __init__(self):  # never calls super().__init__()
            self.drop = Dropout(0.5, rng=0)

        def __call__(self, x):
            return self.drop(x)

    model = NoSuper()
    assert model.training
    model.eval()
    assert not model.training and not model.drop.training
    assert datas([model([1.0, 2.0])]) == [[1.0, 2.0]]
    assert NoSuper().training  # a class default: one instance's mode is its own


# ---------------------------------------------------------------- names of parameters and nodes

def test_every_node_of_an_mlp_is_named_for_the_neuron_that_made_it():
    model = MLP(2, [3, 2, 1], rng=0)
    out = model([0.5, -1.0])
    assert out.label == 'layers.2.neurons.0.z'  # a linear neuron's output is its weighted sum
    hidden = out._prev[2::2]
    assert [h.label for h in hidden] == ['layers.1.neurons.0.y', 'layers.1.neurons.1.y']
    assert [h._prev[0].label for h in hidden] == ['layers.1.neurons.0.z', 'layers.1.neurons.1.z']
    inner = [n for n in topological_order(out) if n._prev]
    assert len(inner) == 3 * 2 + 2 * 2 + 1 and all(n.label.startswith('layers.') for n in inner)


def test_names_follow_a_layer_into_the_model_it_is_built_into():
    linear = Linear(2, 2, rng=0)
    assert linear.neurons[1].b.label == 'neurons.1.b' and linear([1.0, 2.0])[1].label == 'neurons.1.z'
    inner = Linear(2, 2, rng=1)
    model = Sequential(linear, ReLU(), Residual(Sequential(inner, Tanh())))
    out = model([1.0, 2.0])
    assert linear.neurons[1].b.label == 'layers.0.neurons.1.b'
    assert inner.neurons[0].w[1].label == 'layers.2.module.layers.0.neurons.0.w.1'
    assert [o.label for o in out] == ['layers.2.y.0', 'layers.2.y.1']  # x + module(x)
    relu, tanh = out[0]._prev
    assert relu.label == 'layers.1.y.0' and tanh.label == 'layers.2.module.layers.1.y.0'
    assert tanh._prev[0].label == 'layers.2.module.layers.0.neurons.0.z'


def test_a_custom_module_names_what_it_holds_after_its_own_attributes():
    class TwoTowers(Module):
        def __init__(self):
            self.left = MLP(2, [2, 1], rng=0)
            self.right = MLP(2, [2, 1], rng=1)

        def __call__(self, x):
            return self.left(x) + self.right(x)

    model = TwoTowers()
    assert model.right.layers[1].neurons[0].b.label == 'right.layers.1.neurons.0.b'
    assert model([1.0, 1.0])._prev[0].label == 'left.layers.1.neurons.0.z'


def test_every_node_each_layer_makes_is_named():
    model = Sequential(Linear(3, 4, rng=0), ReLU(), BatchNorm(4), Dropout(0.5, rng=0),
                       Residual(Sequential(Linear(4, 4, rng=1), Sigmoid())), Tanh(), Linear(4, 1, rng=2))
    inputs = values(batch_of(5, 3))
    outputs = model.batch(inputs)
    made = {id(n): n for o in outputs for n in topological_order(o[0]) if n._prev}
    assert made and all(n.label.startswith('layers.') for n in made.values())
    kinds = {n.label.split('.')[2] for n in made.values() if n.label.startswith('layers.2.')}
    assert kinds == {'sum', 'mean', 'centered', 'sumsq', 'var', 'var_eps', 'std', 'xhat', 'y'}


# ---------------------------------------------------------------- Linear and activations

def test_linear_returns_a_list_always_and_reprs_its_sizes():
    one = Linear(3, 1, rng=0)
    assert isinstance(one([1.0, 2.0, 3.0]), list) and len(one([1.0, 2.0, 3.0])) == 1
    assert repr(one) == 'Linear(3, 1)' and repr(Linear(2, 4, bias=False)) == 'Linear(2, 4, bias=False)'
    assert len(Linear(3, 2, bias=False).parameters()) == 6
    assert all(n.b.data == 0.0 for n in Linear(3, 5).neurons)
    with pytest.raises(ValueError, match='nout must be an int >= 1'):
        Linear(3, 0)


@pytest.mark.parametrize('bias', [True, False])
def test_linear_values_and_gradients_equal_torch_linear(bias):
    torch = pytest.importorskip('torch')
    layer = Linear(3, 4, bias=bias, init='xavier', rng=1)
    for n in layer.neurons:
        if n.b is not None:
            n.b.data = random.Random(id(n) % 97).uniform(-1, 1)
    reference = torch.nn.Linear(3, 4, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(tensor(torch, [[w.data for w in n.w] for n in layer.neurons]))
        if bias:
            reference.bias.copy_(tensor(torch, [n.b.data for n in layer.neurons]))
    X = batch_of(6, 3)
    inputs = values(X)
    outputs = layer.batch(inputs)
    weighted_sum(outputs).backward()
    t_inputs = tensor(torch, X, grad=True)
    t_out = reference(t_inputs)
    torch_weighted_sum(torch, t_out).backward()
    assert close(datas(outputs), t_out.tolist())
    assert close(grads(inputs), t_inputs.grad.tolist())
    assert close([[w.grad for w in n.w] for n in layer.neurons], reference.weight.grad.tolist())
    if bias:
        assert close([n.b.grad for n in layer.neurons], reference.bias.grad.tolist())


def test_sequential_of_linear_and_relu_is_micrograds_mlp_from_the_same_seed_and_trains_the_same():
    X, labels = make_moons(40, noise=0.1, seed=3)
    y = [2 * t - 1 for t in labels]
    mlp = MLP(2, [16, 16, 1], rng=1337)
    rng = random.Random(1337)
    seq = Sequential(Linear(2, 16, rng=rng), ReLU(), Linear(16, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng))
    assert [p.data for p in seq.parameters()] == [p.data for p in mlp.parameters()]
    for model, score in ((mlp, lambda x: mlp(x)), (seq, lambda x: seq(x)[0])):
        optimizer = SGD(model.parameters(), lr=0.5, momentum=0.5)
        for _ in range(15):
            loss = hinge([score(x) for x in X], y) + l2_penalty(model.parameters(), 1e-4)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    trained = [p.data for p in mlp.parameters()]
    assert trained != [p.data for p in MLP(2, [16, 16, 1], rng=1337).parameters()]
    assert [bits(p.data) for p in seq.parameters()] == [bits(v) for v in trained]


@pytest.mark.parametrize('module, f', [
    (ReLU(), lambda z: max(z, 0.0)), (Tanh(), math.tanh), (Sigmoid(), lambda z: 1 / (1 + math.exp(-z)))])
def test_activation_layers_apply_their_function_to_each_input(module, f):
    xs = [-2.0, -0.5, 0.0, 0.7, 3.0]
    assert [v.data for v in module(xs)] == pytest.approx([f(x) for x in xs], rel=1e-15)
    assert repr(module) == type(module).__name__ + '()'


def test_sequential_indexes_reprs_and_refuses_what_is_not_a_module():
    model = Sequential(Linear(2, 3), ReLU(), Sequential(Linear(3, 1)))
    assert len(model) == 3 and model[1] is model.layers[1] and list(model) == model.layers
    assert repr(model) == ('Sequential(\n  (0): Linear(2, 3)\n  (1): ReLU()\n'
                           '  (2): Sequential(\n    (0): Linear(3, 1)\n  )\n)')
    with pytest.raises(TypeError, match=r'the class ReLU at position 1: write ReLU\(...\) with parentheses'):
        Sequential(Linear(2, 3), ReLU)
    with pytest.raises(TypeError, match='takes modules'):
        Sequential(lambda x: x)
    with pytest.raises(ValueError, match=r'Linear\(2, 3\) takes 2 inputs, got 3'):
        model([1.0, 2.0, 3.0])


# ---------------------------------------------------------------- Dropout

@pytest.mark.parametrize('p', [0.2, 0.5, 0.9])
def test_dropout_zeroes_and_scales_exactly_as_torch_in_training_mode(p):
    torch = pytest.importorskip('torch')
    n = 4000
    inputs = [Value(1.0) for _ in range(n)]
    out = Dropout(p, rng=0)(inputs)
    sum(out).backward()
    t_in = torch.ones(n, dtype=torch.float64, requires_grad=True)
    t_out = torch.nn.functional.dropout(t_in, p, training=True)
    t_out.sum().backward()
    [torch_scale] = set(t_out.detach()[t_out != 0].tolist())  # every kept input: one number
    assert {o.data for o in out} == {0.0, torch_scale}
    assert {x.grad for x in inputs} == set(t_in.grad.tolist()) == {0.0, torch_scale}
    kept = sum(o.data != 0 for o in out)
    assert abs(kept - n * (1 - p)) < 5 * math.sqrt(n * p * (1 - p))  # binomial: within 5 sigma


def test_dropout_takes_any_real_p_such_as_a_numpy_float32():
    np = pytest.importorskip('numpy')
    assert Dropout(np.float32(0.25)).p == 0.25 and isinstance(Dropout(np.float32(0.25)).p, float)


def test_dropout_is_the_identity_in_eval_mode_and_reproducible_from_its_seed():
    xs = [float(i) for i in range(1, 51)]
    assert datas([Dropout(0.5, rng=4)(xs)]) == datas([Dropout(0.5, rng=4)(xs)])
    assert datas([Dropout(0.5, rng=4)(xs)]) != datas([Dropout(0.5, rng=5)(xs)])
    inputs = [Value(x) for x in xs]
    assert Dropout(0.5).eval()(inputs) == inputs and Dropout(0.0)(inputs) == inputs
    first, second = (datas([d(xs)]) for d in [Dropout(0.5, rng=6)] * 2)
    assert first != second  # a fresh mask on every call


@pytest.mark.parametrize('p', [1.0, -0.1, 1.5, math.nan, 10 ** 400])
def test_dropout_p_outside_zero_to_one_is_a_clear_error(p):
    with pytest.raises(ValueError, match=r'must be in \[0, 1\), got'):
        Dropout(p)


@pytest.mark.parametrize('p', ['0.5', True, None])
def test_dropout_p_that_is_not_a_number_is_a_type_error(p):
    with pytest.raises(TypeError, match=r'Dropout\(p\): p, the probability of zeroing an input, must be a number'):
        Dropout(p)


# ---------------------------------------------------------------- BatchNorm

def make_batchnorm(n, seed=0, **kwargs):
    norm = BatchNorm(n, **kwargs)
    rng = random.Random(seed)
    for p in norm.weight + norm.bias:
        p.data = rng.uniform(-1.5, 1.5)
    return norm


def torch_batchnorm(torch, norm):
    reference = torch.nn.BatchNorm1d(norm.num_features, eps=norm.eps, momentum=norm.momentum, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(tensor(torch, [w.data for w in norm.weight]))
        reference.bias.copy_(tensor(torch, [b.data for b in norm.bias]))
    return reference


@pytest.mark.parametrize('momentum', [0.1, 0.3, None])
def test_batchnorm_values_gradients_and_running_statistics_equal_torch_batchnorm1d(momentum):
    torch = pytest.importorskip('torch')
    norm = make_batchnorm(3, momentum=momentum)
    reference = torch_batchnorm(torch, norm)
    for step, size in enumerate([5, 2, 8]):
        X = batch_of(size, 3, seed=step)
        inputs = values(X)
        outputs = norm.batch(inputs)
        norm.zero_grad()
        weighted_sum(outputs).backward()
        t_inputs = tensor(torch, X, grad=True)
        reference.zero_grad()
        t_out = reference(t_inputs)
        torch_weighted_sum(torch, t_out).backward()
        assert close(datas(outputs), t_out.tolist(), rel=1e-12, abs=1e-13)
        assert close(grads(inputs), t_inputs.grad.tolist(), rel=1e-10, abs=1e-12)
        assert close([w.grad for w in norm.weight], reference.weight.grad.tolist(), rel=1e-12, abs=1e-12)
        assert close([b.grad for b in norm.bias], reference.bias.grad.tolist(), rel=1e-12, abs=1e-12)
        assert close(norm.running_mean, reference.running_mean.tolist(), rel=1e-14, abs=1e-15)
        assert close(norm.running_var, reference.running_var.tolist(), rel=1e-14, abs=1e-15)
        assert norm.num_batches_tracked == reference.num_batches_tracked.item() == step + 1
    norm.eval()
    reference.eval()
    X = batch_of(4, 3, seed=9)
    inputs = values(X)
    outputs = [norm(x) for x in inputs]  # eval mode: one sample at a time, with the running statistics
    weighted_sum(outputs).backward()
    t_inputs = tensor(torch, X, grad=True)
    t_out = reference(t_inputs)
    torch_weighted_sum(torch, t_out).backward()
    assert close(datas(outputs), t_out.tolist()) and close(grads(inputs), t_inputs.grad.tolist())
    assert norm.num_batches_tracked == 3  # eval mode leaves the statistics alone


def test_batchnorm_normalises_each_feature_to_mean_zero_and_variance_one_in_training_mode():
    outputs = BatchNorm(2).batch(batch_of(10, 2))
    for j in range(2):
        column = [row[j].data for row in outputs]
        mean = sum(column) / len(column)
        assert abs(mean) < 1e-15
        assert sum((c - mean) ** 2 for c in column) / len(column) == pytest.approx(1.0, rel=1e-5)  # eps


def test_batchnorm_on_one_sample_in_training_mode_says_to_pass_the_batch():
    with pytest.raises(ValueError, match=r'model.batch\(samples\).*model.eval\(\)'):
        BatchNorm(2)([1.0, 2.0])
    with pytest.raises(ValueError, match=r'model.batch\(samples\)'):
        Sequential(Linear(2, 2), BatchNorm(2))([1.0, 2.0])


def test_batchnorm_on_a_batch_of_one_in_training_mode_is_an_error_as_in_torch():
    norm = BatchNorm(2)
    with pytest.raises(ValueError, match='needs a batch of 2 or more samples.*got 1'):
        norm.batch([[1.0, 2.0]])
    assert norm.running_mean == [0.0, 0.0] and norm.num_batches_tracked == 0
    assert len(norm.eval().batch([[1.0, 2.0]])) == 1
    torch = pytest.importorskip('torch')
    with pytest.raises(ValueError, match='Expected more than 1 value per channel'):
        torch.nn.BatchNorm1d(2, dtype=torch.float64)(tensor(torch, [[1.0, 2.0]]))


def test_batchnorm_running_statistics_are_buffers_no_optimizer_sees():
    norm = BatchNorm(2)
    assert len(norm.parameters()) == 4
    assert dict(norm.named_buffers()) == {'running_mean.0': 0.0, 'running_mean.1': 0.0, 'running_var.0': 1.0,
                                          'running_var.1': 1.0, 'num_batches_tracked': 0}
    optimizer = SGD(norm.parameters(), lr=0.1)
    weighted_sum(norm.batch(batch_of(4, 2))).backward()
    running = (list(norm.running_mean), list(norm.running_var))
    optimizer.step()
    assert (norm.running_mean, norm.running_var) == running


def test_batchnorm_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match='num_features must be an int >= 1'):
        BatchNorm(0)
    with pytest.raises(ValueError, match=r'momentum must be in \[0, 1\] or None'):
        BatchNorm(2, momentum=1.5)
    with pytest.raises(ValueError, match=r'eps must be > 0 \(it keeps the division finite\), got float 0.0'):
        BatchNorm(2, eps=0.0)
    with pytest.raises(ValueError, match=r'BatchNorm\(3\) takes 3 features, got 2'):
        BatchNorm(3).batch([[1.0, 2.0], [3.0, 4.0]])


# ---------------------------------------------------------------- Residual and batches through a model

def test_residual_adds_the_input_and_passes_its_gradient_straight_through():
    inner = Sequential(Linear(3, 3, rng=0), Tanh())
    block = Residual(inner)
    x = [Value(0.3), Value(-1.2), Value(2.0)]
    out = block(x)
    with no_grad():
        fx = inner([v.data for v in x])
    assert [o.data for o in out] == [a.data + b.data for a, b in zip(x, fx)]
    # d out_0 / d x = e_0 + d inner_0 / d x: the skip adds exactly 1 to the diagonal
    direct = grad(inner(x)[0], x)
    assert grad(out[0], x) == pytest.approx([direct[0] + 1.0, direct[1], direct[2]], rel=1e-15)


def test_residual_with_sizes_that_differ_is_a_clear_error():
    with pytest.raises(ValueError, match=r'Linear\(3, 2\) turned 3 inputs into 2 outputs'):
        Residual(Linear(3, 2))([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match='wraps a module'):
        Residual(lambda x: x)


def test_a_batch_flows_through_every_layer_and_equals_one_call_per_sample_in_eval_mode():
    model = Sequential(Linear(2, 4, rng=0), BatchNorm(4), ReLU(), Residual(Linear(4, 4, rng=1)), Linear(4, 1, rng=2))
    X = batch_of(6, 2)
    model.batch(X)  # training mode: BatchNorm sees the batch and updates its statistics
    model.eval()
    assert datas(model.batch(X)) == datas([model(x) for x in X])


# ---------------------------------------------------------------- gradient norms by layer

def test_grad_norms_give_one_norm_per_layer_of_an_mlp_or_a_sequential():
    mlp = MLP(2, [3, 3, 1], rng=0)
    mlp([0.5, -1.0]).backward()
    by_layer = grad_norms(mlp)
    assert list(by_layer) == ['layers.0', 'layers.1', 'layers.2']
    for i, layer in enumerate(mlp.layers):
        assert by_layer[f'layers.{i}'] == math.sqrt(sum(p.grad ** 2 for p in layer.parameters()))
    seq = Sequential(Linear(2, 3, rng=0), ReLU(), BatchNorm(3), Residual(Linear(3, 3, rng=1)), Linear(3, 1, rng=2))
    sum(o[0] for o in seq.batch(batch_of(4, 2))).backward()
    assert list(grad_norms(seq)) == ['layers.0', 'layers.2', 'layers.3.module', 'layers.4']
    by_neuron = grad_norms(mlp, by='neuron')
    assert list(by_neuron)[:2] == ['layers.0.neurons.0', 'layers.0.neurons.1'] and len(by_neuron) == 7
    by_parameter = grad_norms(mlp, by='parameter')
    assert by_parameter == {name: abs(p.grad) for name, p in mlp.named_parameters()}


def test_grad_norms_only_read_and_name_a_models_own_parameters_by_its_name():
    model = Neuron(2, rng=0)
    model([1.0, 2.0]).backward()
    before = [p.grad for p in model.parameters()]
    assert grad_norms(model) == {'': math.sqrt(sum(g * g for g in before))}
    assert [p.grad for p in model.parameters()] == before
    with pytest.raises(ValueError, match="by must be one of 'layer', 'neuron', 'parameter', got str 'weight'"):
        grad_norms(model, by='weight')


# ---------------------------------------------------------------- save and load every layer

def full_model(seed=0):
    rng = random.Random(seed)
    return Sequential(Linear(2, 3, rng=rng), Tanh(), BatchNorm(3, momentum=0.2), Dropout(0.1, rng=seed),
                      Residual(Sequential(Linear(3, 3, rng=rng), Sigmoid())), Linear(3, 1, bias=False, rng=rng))


def test_save_and_load_cover_every_layer_and_batchnorms_running_statistics(tmp_path):
    model = full_model(0)
    for _ in range(3):
        model.batch(batch_of(5, 2))  # training: the running statistics move
    path = tmp_path / 'model.json'
    model.save(path)
    loaded = full_model(1)
    loaded.load(path)
    assert loaded.state_dict() == model.state_dict()
    assert 'layers.2.running_var.2' in model.state_dict()
    assert loaded.layers[2].num_batches_tracked == 3 and isinstance(loaded.layers[2].num_batches_tracked, int)
    model.eval()
    loaded.eval()
    assert datas(loaded.batch(batch_of(3, 2))) == datas(model.batch(batch_of(3, 2)))


def test_a_state_without_the_running_statistics_is_refused_and_changes_nothing():
    model = Sequential(Linear(2, 3, rng=0), BatchNorm(3))
    weights_only = {name: p.data for name, p in model.named_parameters()}
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"missing 7 parameter\(s\): 'layers.1.running_mean.0'"):
        model.load_state_dict(weights_only)
    assert model.state_dict() == before


# ---------------------------------------------------------------- on to PyTorch and back

def torch_outputs(torch, module, X):
    return module(tensor(torch, X)).tolist()


@pytest.mark.parametrize('model', [
    lambda: MLP(2, [5, 4, 1], rng=0), lambda: MLP(3, [4, 4, 2], activation='tanh', output_activation='sigmoid',
                                                 rng=1), lambda: Layer(2, 3, activation='tanh', rng=2),
    lambda: Neuron(4, rng=3)])
def test_micrograds_networks_to_torch_compute_the_same_numbers(model):
    torch = pytest.importorskip('torch')
    model = model()
    first = next(m for m in model.modules() if isinstance(m, Neuron))
    X = batch_of(7, len(first.w))
    converted = model.to_torch()
    ours = [model(x) for x in X]
    ours = [[o.data] if isinstance(o, Value) else [v.data for v in o] for o in ours]
    theirs = torch_outputs(torch, converted, X)
    assert close(ours, theirs, rel=1e-12, abs=1e-12)
    assert all(p.dtype == torch.float64 for p in converted.parameters())


def test_a_sequential_of_every_layer_goes_to_torch_and_back_with_the_same_numbers():
    torch = pytest.importorskip('torch')
    model = full_model(0)
    model.batch(batch_of(5, 2))  # running statistics of its own, not the initial ones
    assert model.to_torch().training
    X = batch_of(6, 2)
    model.eval()  # Dropout's masks are not the same draws in torch: compare in eval mode
    converted = model.to_torch()
    assert not converted.training
    assert close(datas(model.batch(X)), torch_outputs(torch, converted, X), rel=1e-12, abs=1e-12)
    back = from_torch(converted)
    assert repr(back) == repr(model) and not back.training
    assert back.state_dict() == model.state_dict()
    assert isinstance(back.layers[2].num_batches_tracked, int)


def test_batchnorm_in_training_mode_goes_to_torch_with_its_statistics():
    torch = pytest.importorskip('torch')
    model = Sequential(Linear(2, 3, rng=0), BatchNorm(3), ReLU(), Linear(3, 2, rng=1))
    model.batch(batch_of(5, 2, seed=1))
    converted = model.to_torch()
    X = batch_of(5, 2, seed=2)
    assert close(datas(model.batch(X)), torch_outputs(torch, converted, X), rel=1e-12, abs=1e-12)
    norm, t_norm = model.layers[1], converted[1]
    assert close(norm.running_mean, t_norm.running_mean.tolist(), rel=1e-14, abs=1e-15)
    assert close(norm.running_var, t_norm.running_var.tolist(), rel=1e-14, abs=1e-15)
    assert norm.num_batches_tracked == t_norm.num_batches_tracked.item() == 2


def test_from_torch_reads_a_model_made_in_torch():
    torch = pytest.importorskip('torch')
    torch.manual_seed(0)
    made = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                               torch.nn.Linear(8, 8, bias=False), torch.nn.Tanh(), torch.nn.Linear(8, 1),
                               torch.nn.Sigmoid())  # float32, torch's own init
    made(torch.randn(10, 3))  # move the running statistics
    made.eval()
    model = from_torch(made)
    assert repr(model).startswith('Sequential(\n  (0): Linear(3, 8)\n  (1): BatchNorm(8)\n  (2): ReLU()\n'
                                  '  (3): Dropout(p=0.2)\n  (4): Linear(8, 8, bias=False)')
    X = batch_of(6, 3)
    float64 = made.double()
    assert close(datas(model.batch(X)), torch_outputs(torch, float64, X), rel=1e-12, abs=1e-12)
    again = model.to_torch()
    for (name, a), (name_b, b) in zip(float64.state_dict().items(), again.state_dict().items()):
        assert name == name_b and torch.equal(a.to(torch.float64), b.to(torch.float64))
    with pytest.raises(TypeError, match='not Conv1d'):
        from_torch(torch.nn.Conv1d(1, 1, 1))


def test_to_torch_of_a_module_torch_has_no_counterpart_for_says_so():
    pytest.importorskip('torch')

    class Custom(Module):
        def __call__(self, x):
            return x
    with pytest.raises(TypeError, match='Custom has no PyTorch counterpart'):
        Custom().to_torch()


def test_without_torch_the_conversions_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch', None)  # import torch now raises ImportError
    with pytest.raises(ModuleNotFoundError, match='to_torch.* needs PyTorch.*pip install torch'):
        MLP(2, [1]).to_torch()
    with pytest.raises(ModuleNotFoundError, match='from_torch.* needs PyTorch'):
        from_torch(object())


def test_a_notebook_shows_a_model_as_a_table_of_its_layers():
    from micrograd_plus.nn import BatchNorm, Dropout, Linear, ReLU, Sequential
    model = MLP(2, [16, 16, 1], rng=0)
    assert model.summary() == [('MLP', '3 modules', 337), ('layers.0', '16 ReLU neurons, 2 inputs each', 48),
                               ('layers.1', '16 ReLU neurons, 16 inputs each', 272),
                               ('layers.2', '1 Linear neuron, 16 inputs', 17)]  # in the same words
    table = model._repr_html_()
    assert '<b>MLP</b>: 337 parameters, training mode' in table and table.count('<tr>') == 4
    sequential = Sequential(Linear(2, 8), BatchNorm(8), ReLU(), Dropout(0.1), Linear(8, 1)).eval()
    assert [row[1] for row in sequential.summary()[1:]] == ['Linear(2, 8)', 'BatchNorm(8)', 'ReLU()',
                                                          'Dropout(p=0.1)', 'Linear(8, 1)']
    assert 'eval mode' in sequential._repr_html_()


class Net(Module):
    """A user's own model: no __repr__ of its own."""

    def __init__(self):
        self.body = MLP(2, [2, 1], rng=0)
        self.head = Linear(1, 1, rng=1)
        self.scale = Value(1.0)

    def __call__(self, x):
        return self.head(self.body(x))[0] * self.scale


def test_a_users_module_prints_like_pytorchs_the_class_and_its_children_indented():
    assert repr(Net()) == ('Net(\n'
                           '  (body): MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]\n'
                           '  (head): Linear(1, 1)\n'
                           '  1 parameter\n'
                           ')')

    class Outer(Module):
        def __init__(self):
            self.inner = [Net()]

        def __call__(self, x):
            return self.inner[0](x)
    assert repr(Outer()).startswith('Outer(\n  (inner.0): Net(\n    (body): MLP of [')  # nested: indented again
    assert repr(Module()) == 'Module()' and ' object at 0x' not in repr(Outer())
    rows = Net().summary()
    assert rows[0] == ('Net', '2 modules', 12)
    assert rows[1:] == [('body', 'MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]', 9),
                        ('head', 'Linear(1, 1)', 2)]
    # micrograd's own reprs are kept exactly
    assert repr(MLP(2, [1])) == 'MLP of [Layer of [LinearNeuron(2)]]' and repr(Neuron(2)) == 'ReLUNeuron(2)'


# ---------------------------------------------------------------- arguments checked where they enter

@pytest.mark.parametrize('keyword', ['activation', 'output_activation'])
def test_mlp_refuses_activation_none_instead_of_building_relu_neurons(keyword):
    with pytest.raises(ValueError, match=rf"MLP: {keyword} \(use 'linear' for none\) must be one of 'relu', 'tanh', "
                                         r"'sigmoid', 'linear', got None"):
        MLP(2, [3, 1], **{keyword: None})
    assert repr(MLP(2, [3, 1], output_activation='linear')) == repr(MLP(2, [3, 1]))


@pytest.mark.parametrize('call, error, match', [
    (lambda: Linear(2, 3, bias='False'), TypeError, "Neuron: bias is True or False, got str 'False'"),
    (lambda: Neuron(2, nonlin='no'), TypeError, "Neuron: nonlin is True or False, got str 'no'"),
    (lambda: Neuron(True), TypeError, 'Neuron: nin, its number of inputs, must be an int, got bool True'),
    (lambda: MLP(2, 16), TypeError, r'MLP: nouts must be a list of layer sizes, like \[16, 16, 1\], got int 16'),
    (lambda: MLP(2, [16, 2.5]), TypeError, r'MLP: nouts\[1\] must be an int, got float 2.5'),
    (lambda: MLP(2, [1]).save(None), TypeError, r'save\(path\) must be a file name .*, got None'),
    (lambda: MLP(2, [1]).load(''), ValueError, r'load\(path\) must be a file name, got an empty one'),
    (lambda: MLP(2, [1])(None), TypeError, r'a sample must be a list of numbers or Values \(or one number\), got None'),
    (lambda: MLP(2, [1])(x for x in [1.0, 2.0]), TypeError, 'a sample must be a list.*a generator'),
    (lambda: Neuron(2)(None), TypeError, 'a sample must be a list of numbers or Values'),
    (lambda: Sequential(Linear(2, 1)).batch(None), TypeError, r'batch\(samples\) must be a list of samples, got None'),
    (lambda: BatchNorm(2).batch(5), TypeError, r'batch\(samples\) must be a list of samples, got int 5'),
    (lambda: BatchNorm(2, momentum='0.1'), TypeError, 'BatchNorm: momentum must be a number'),
    (lambda: MLP(2, [1]).named_parameters(None), TypeError, r'named_parameters\(prefix\) must be text'),
    (lambda: grad_norms(None), TypeError, r'grad_norms\(model\) takes a model \(a Module\), got None'),
])
def test_nn_arguments_are_checked_where_they_enter(call, error, match):
    with pytest.raises(error, match=match):
        call()  # at the call: named_parameters() too, not at the first next()


# ---------------------------------------------------------------- which sample a node was made for

def lecture_samples():
    return [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]


def test_one_sample_keeps_the_plain_names_as_in_the_lecture():
    from micrograd_plus.viz import text_view, trace
    n = MLP(3, [4, 4, 1], rng=0)
    x = [2.0, 3.0, -1.0]
    n(x)  # the lecture calls it twice: n(x), then draw_dot(n(x))
    out = n(x)
    trace(out)
    assert out.label == 'layers.2.neurons.0.z' and '[' not in str(text_view(out))
    assert n.batch([x])[0].label == 'layers.2.neurons.0.z'  # a batch of one: no suffix either


def test_calling_the_model_on_each_sample_of_one_loss_numbers_the_samples_in_order():
    from micrograd_plus.teach.explain import Explainer
    from micrograd_plus.viz import text_view
    n = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', rng=0)
    n([2.0, 3.0, -1.0])  # calls before the loss's own are not its samples
    ypred = [n(x) for x in lecture_samples()]
    loss = sum((y - t) ** 2 for y, t in zip(ypred, [1.0, -1.0, -1.0, 1.0]))
    loss.backward()
    names = Explainer(loss)
    assert [y.label for y in ypred] == [f'layers.2.neurons.0.y[{i}]' for i in range(4)]
    assert ypred[2]._prev[0].label == 'layers.2.neurons.0.z[2]'
    first_layer = ypred[3]._prev[0]._prev[2]  # a first-layer activation of sample 3
    assert first_layer.label == 'layers.1.neurons.0.y[3]' and names.sample[first_layer] == 3
    assert 'layers.2.neurons.0.y[1]' in str(text_view(loss, max_rows=None))
    assert [names.name(y) for y in ypred] == [y.label for y in ypred]
    assert ypred[0].label == 'layers.2.neurons.0.y[0]'  # a graph of one sample names it plainly again
    assert names.name(ypred[0]) == 'layers.2.neurons.0.y[0]'
    Explainer(ypred[0])
    assert ypred[0].label == 'layers.2.neurons.0.y'


def test_a_drawing_of_several_samples_names_each_samples_nodes():
    from micrograd_plus.viz import draw_dot
    n = MLP(2, [2, 1], rng=0)
    loss = sum((n(x) - 1.0) ** 2 for x in ([1.0, 2.0], [0.5, -1.0], [2.0, 0.0]))
    source = draw_dot(loss).source
    assert all(f'z[{i}]' in source for i in range(3)) and 'z[3]' not in source


def test_a_batch_names_its_samples_at_once_batchnorm_statistics_stay_one_per_feature():
    from micrograd_plus.nn import BatchNorm, Linear, ReLU, Sequential
    model = MLP(3, [2, 1], rng=0)
    out = model.batch(lecture_samples())
    assert [y.label for y in out] == [f'layers.1.neurons.0.z[{i}]' for i in range(4)]
    net = Sequential(Linear(2, 3, rng=0), BatchNorm(3), ReLU(), Linear(3, 1, rng=1))
    outputs = net.batch([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]])
    assert [o[0].label for o in outputs] == ['layers.3.neurons.0.z[0]', 'layers.3.neurons.0.z[1]',
                                             'layers.3.neurons.0.z[2]']
    relu = outputs[1][0]._prev[2]
    normalised = relu._prev[0]
    assert relu.label == 'layers.2.y.0[1]' and normalised.label == 'layers.1.y.0[1]'
    labels = {node.label for node in topological_order(outputs[0][0])}
    assert 'layers.1.mean.0' in labels and 'layers.1.xhat.0[0]' in labels


def test_a_lone_neuron_called_per_sample_numbers_its_samples_too():
    from micrograd_plus.viz import trace
    n = Neuron(2, activation='tanh', rng=0)
    outs = [n(x) for x in ([1.0, 2.0], [0.5, -1.0])]
    trace(outs[0] + outs[1])
    assert [o.label for o in outs] == ['y[0]', 'y[1]'] and outs[1]._prev[0].label == 'z[1]'


def test_a_copied_model_numbers_its_own_samples():
    from micrograd_plus.viz import trace
    model = MLP(2, [1], rng=0)
    twin = copy.deepcopy(model)
    total = model([1.0, 2.0]) + twin([1.0, 2.0])  # one sample of each model: plain names
    trace(total)
    assert [p.label for p in total._prev] == ['layers.0.neurons.0.z', 'layers.0.neurons.0.z']


def test_a_users_model_is_one_sample_per_call_however_it_calls_its_parts():
    class Twice(Module):
        def __init__(self):
            self.body = Linear(2, 1, rng=0)

        def __call__(self, x):
            return self.body(x)[0] + self.body(x)[0]  # the same sample twice: both uses are sample i

    model = Twice()
    outs = [model(x) for x in ([1.0, 2.0], [3.0, 4.0])]
    total = outs[0] + outs[1]
    from micrograd_plus.viz import trace
    trace(total)
    assert [p.label for p in outs[1]._prev] == ['body.neurons.0.z[1]'] * 2
    assert [p.label for p in outs[0]._prev] == ['body.neurons.0.z[0]'] * 2


def test_a_layers_outputs_called_on_their_own_are_one_sample_not_one_per_neuron():
    from micrograd_plus.viz import trace
    model = MLP(2, [3, 1], rng=0)
    total = sum(model.layers[0].outputs([1.0, 2.0]))
    labels = sorted(str(node.label) for node in trace(total)[0] if '.z' in str(node.label))
    assert labels == ['layers.0.neurons.0.z', 'layers.0.neurons.1.z', 'layers.0.neurons.2.z']  # not z[0], z[1], z[2]
