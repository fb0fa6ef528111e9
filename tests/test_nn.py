import copy
import json
import math
import os
import random
import stat
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_plus.autodiff import grad, no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value, topological_order
from micrograd_plus.losses import hinge, l2_penalty, mse
from micrograd_plus.nn import MLP, Layer, Module, Neuron, ParameterFileError
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
