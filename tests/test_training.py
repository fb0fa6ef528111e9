import math
import random
import sys

import pytest

from micrograd_plus import no_grad
from micrograd_plus.data import batches, make_moons, train_test_split
from micrograd_plus.engine import Value
from micrograd_plus.losses import hinge, l2_penalty, mse
from micrograd_plus.nn import MLP, BatchNorm, Linear, ReLU, Sequential
from micrograd_plus.optim import SGD, Adam
from micrograd_plus.training import Best, EarlyStopping, History

# ---------------------------------------------------------------- History


def test_history_records_metrics_with_their_steps_at_their_own_rates():
    history = History()
    for epoch in range(3):
        for step in range(2):
            history.record(2 * epoch + step, loss=Value(10.0 - 2 * epoch - step))
        history.record(2 * epoch + 1, val_loss=5.0 - epoch, val_accuracy=0.5 + 0.1 * epoch)
    assert history['loss'] == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0]  # a Value is recorded as its number
    assert history.steps['loss'] == [0, 1, 2, 3, 4, 5] and history.steps['val_loss'] == [1, 3, 5]
    assert history.metrics == ['loss', 'val_loss', 'val_accuracy'] and 'val_loss' in history
    assert len(history) == 9
    plain = History()
    plain.record(loss=3.0)
    plain.record(loss=2.0)
    assert plain.steps['loss'] == [0, 1]  # the count of earlier records by default


def test_best_is_the_minimum_of_a_loss_and_the_maximum_of_an_accuracy():
    history = History()
    for epoch, (loss, acc) in enumerate([(3.0, 0.5), (1.0, 0.7), (math.nan, 0.9), (1.0, 0.9), (2.0, 0.8)]):
        history.record(epoch * 10, val_loss=loss, accuracy=acc)
    assert history.best('val_loss') == Best(step=10, value=1.0)  # the first on a tie; nan skipped
    assert history.best('accuracy') == (20, 0.9)  # 'auto': an accuracy is best at its largest
    assert history.best('accuracy', mode='min') == (0, 0.5)
    assert history.best('val_loss', mode='max') == (0, 3.0)
    assert isinstance(history.best('val_loss').step, int)  # steps are kept as given


def test_history_mistakes_are_clear_errors():
    history = History()
    with pytest.raises(ValueError, match='takes metrics by name'):
        history.record(3)
    with pytest.raises(TypeError, match="metric 'loss' must be a number or a Value, got list"):
        history.record(loss=[1.0])
    history.record(loss=1.0)
    with pytest.raises(KeyError, match="no metric 'val_loss' was recorded; recorded: 'loss'"):
        history.best('val_loss')
    with pytest.raises(ValueError, match=r"best\(\): mode must be one of 'min', 'max', 'auto', got str 'lowest'"):
        history.best('loss', mode='lowest')
    with pytest.raises(TypeError, match='a metric name must be text'):
        history.best(None)
    history.record(nan=math.nan)
    with pytest.raises(ValueError, match='every value of .nan. is nan'):
        history.best('nan')


def test_plot_draws_each_metric_against_its_steps():
    matplotlib = pytest.importorskip('matplotlib')
    matplotlib.use('Agg')
    history = History()
    for epoch in range(5):
        history.record(epoch, loss=1.0 / (epoch + 1), val_loss=1.5 / (epoch + 1))
    ax = history.plot(xlabel='epoch', logy=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ['loss', 'val_loss']
    assert list(lines['val_loss'].get_xdata()) == [0, 1, 2, 3, 4]
    assert list(lines['val_loss'].get_ydata()) == history['val_loss']
    assert ax.get_xlabel() == 'epoch' and ax.get_yscale() == 'log'
    assert [line.get_label() for line in history.plot('loss').get_lines()] == ['loss']
    matplotlib.pyplot.close('all')


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    monkeypatch.setitem(sys.modules, 'matplotlib.pyplot', None)
    history = History()
    history.record(loss=1.0)
    with pytest.raises(ModuleNotFoundError, match='needs matplotlib.*pip install matplotlib'):
        history.plot()


# ---------------------------------------------------------------- EarlyStopping

def test_early_stopping_stops_after_patience_values_without_improvement_and_restores_the_best():
    model = Linear(1, 1, rng=0)
    weight = model.neurons[0].w[0]
    stopper = EarlyStopping(patience=2)
    val_losses = [3.0, 2.0, 1.0, 1.5, 0.9999, 1.2, 1.1, 0.5]
    stopped_at = None
    for epoch, val_loss in enumerate(val_losses):
        weight.data = float(epoch)  # the weights the model had when val_loss was measured
        if stopper.step(val_loss, model):
            stopped_at = epoch
            break
    assert stopped_at == 6  # 0.9999 at epoch 4 improved; 1.2 and 1.1 did not
    assert weight.data == 4.0 and stopper.best == 0.9999 and stopper.best_step == 4 and stopper.stopped


def test_min_delta_and_mode_max_decide_what_counts_as_an_improvement():
    stopper = EarlyStopping(patience=1, min_delta=0.01, restore_best=False)
    assert not stopper.step(1.0)
    assert stopper.step(0.995)  # better, but by less than min_delta
    assert stopper.best == 1.0
    rising = EarlyStopping(patience=2, mode='max', restore_best=False)
    assert [rising.step(acc) for acc in [0.5, 0.6, 0.6, 0.7, math.nan, 0.65]] == [False] * 5 + [True]
    assert rising.best == 0.7


def test_early_stopping_restores_the_weights_with_the_best_validation_loss_of_a_real_run():
    X, labels = make_moons(60, noise=0.3, seed=2)
    X_train, X_val, y_train, y_val = train_test_split(X, [2.0 * t - 1 for t in labels], 0.5, seed=0)
    model = MLP(2, [32, 32, 1], rng=0)  # big for 30 noisy points: it overfits
    optimizer = Adam(model.parameters(), lr=0.05)
    stopper = EarlyStopping(patience=5)
    history = History()

    def val_loss():
        with no_grad():
            return mse([model(x) for x in X_val], y_val).data
    for epoch in range(300):
        loss = mse([model(x) for x in X_train], y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.record(epoch, loss=loss, val_loss=val_loss())
        if stopper.step(history['val_loss'][-1], model):
            break
    assert stopper.stopped and epoch < 299
    assert history.best('val_loss') == (stopper.best_step, stopper.best)
    assert history['val_loss'][-1] > stopper.best  # training went on past the best point ...
    assert val_loss() == stopper.best  # ... and the model has the best weights back, exactly


def test_early_stopping_restores_batchnorm_running_statistics_too():
    model = Sequential(Linear(2, 2, rng=0), BatchNorm(2))
    stopper = EarlyStopping(patience=1)
    model.batch([[1.0, 2.0], [3.0, 5.0]])
    stopper.step(1.0, model)
    best = model.state_dict()
    model.batch([[7.0, 2.0], [-3.0, 5.0]])
    assert model.state_dict() != best
    assert stopper.step(2.0, model)
    assert model.state_dict() == best


@pytest.mark.parametrize('call, error, match', [
    (lambda: EarlyStopping(patience=0), ValueError, 'patience, .* must be an int >= 1, got 0'),
    (lambda: EarlyStopping(patience=2.5), TypeError, 'patience, .* must be an int, got float 2.5'),
    (lambda: EarlyStopping(patience=2, min_delta=math.inf), ValueError, 'min_delta must be a finite number'),
    (lambda: EarlyStopping(patience=2, restore_best='no'), TypeError, "restore_best is True or False, got str 'no'"),
    (lambda: EarlyStopping(patience=2).restore(None), TypeError, r'restore\(model\) takes the model'),
    (lambda: EarlyStopping(patience=2, min_delta=-0.1), ValueError, 'min_delta must be >= 0'),
    (lambda: EarlyStopping(patience=2, mode='lowest'), ValueError, r"mode \('min' for a loss.* must be one of"),
    (lambda: EarlyStopping(patience=2).step(1.0), TypeError, r'needs the model .* restore_best=False'),
    (lambda: EarlyStopping(patience=2, restore_best=False).step('1.0'), TypeError, 'must be a number'),
])
def test_early_stopping_mistakes_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- a whole mini-batch run

def test_mini_batch_training_on_moons_reaches_full_training_accuracy():
    X, labels = make_moons(100, noise=0.1, seed=1337)
    y = [2 * t - 1 for t in labels]
    rng = random.Random(0)
    model = Sequential(Linear(2, 16, init='he', rng=rng), ReLU(), Linear(16, 16, init='he', rng=rng), ReLU(),
                       Linear(16, 1, rng=rng))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(60):
        for xb, yb in batches(X, y, 10, seed=epoch):  # a new order each epoch, the same on every run
            loss = hinge([model(x)[0] for x in xb], yb) + l2_penalty(model.parameters(), 1e-4)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with no_grad():
            accuracy = sum((model(x)[0].data > 0) == (t > 0) for x, t in zip(X, y)) / len(y)
        if accuracy == 1.0:
            break
    assert accuracy == 1.0, f'{accuracy:.0%} after {epoch + 1} epochs'


def test_history_plot_and_records_check_their_arguments():
    history = History()
    history.record(0, loss=10 ** 400)  # a huge int is recorded as inf, as a float would overflow to
    assert history['loss'] == [math.inf]
    with pytest.raises(TypeError, match=r'plot\(ax=...\) takes matplotlib axes .*, got str'):
        history.plot(ax='axes')
    with pytest.raises(TypeError, match=r"plot\(logy=...\) is True or False, got str 'yes'"):
        history.plot(ax=object(), logy='yes')
    with pytest.raises(TypeError, match=r'EarlyStopping.improves\(value\) must be a number or a Value, got None'):
        EarlyStopping(2).improves(None)


def test_plot_names_the_lines_by_labels_given_as_a_dict_or_a_list():
    matplotlib = pytest.importorskip('matplotlib')
    matplotlib.use('Agg')
    history = History()
    for epoch in range(3):
        history.record(epoch, loss=1.0 / (epoch + 1), val_loss=1.2 / (epoch + 1))
    ax = history.plot(labels={'loss': 'training loss (30 points)'})
    assert [line.get_label() for line in ax.get_lines()] == ['training loss (30 points)', 'val_loss']
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['training loss (30 points)', 'val_loss']
    ax = history.plot('val_loss', 'loss', labels=['validation', 'training'])
    assert [line.get_label() for line in ax.get_lines()] == ['validation', 'training']
    with pytest.raises(ValueError, match=r'2 labels for 1 metrics'):
        history.plot('loss', labels=['a', 'b'])
    with pytest.raises(KeyError, match=r"names \['acc'\], which are not plotted"):
        history.plot(labels={'acc': 'accuracy'})
    with pytest.raises(TypeError, match='a dict metric -> label or a list of labels'):
        history.plot(labels='loss')
    matplotlib.pyplot.close('all')


def test_update_ratios_are_the_step_over_the_weights_of_each_layer():
    from micrograd_plus.nn import MLP
    from micrograd_plus.optim import SGD
    from micrograd_plus.training import update_ratios
    model = MLP(2, [3, 1], rng=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    before = model.state_dict()
    SGD(model.parameters(), lr=0.1).step()
    ratios = update_ratios(model, before)
    assert list(ratios) == ['layers.0', 'layers.1']
    for k, layer in enumerate(model.layers):  # plain SGD: the step is lr * grad, so ||step|| = 0.1 ||grad||
        ps = layer.parameters()
        expected = 0.1 * math.sqrt(sum(p.grad ** 2 for p in ps)) / math.sqrt(sum(p.data ** 2 for p in ps))
        assert ratios[f'layers.{k}'] == pytest.approx(expected, rel=1e-12)
    history = History()
    history.record_update_ratios(0, model, before)
    assert history.metrics == ['update:layers.0', 'update:layers.1']
    with pytest.raises(KeyError, match="before has no 'layers.0.neurons.0.w.0'"):
        update_ratios(model, {})


# ---------------------------------------------------------------- CompiledStep: one graph, every batch

def _cnn(seed=0):
    from micrograd_plus.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
    return Sequential(Conv2d(1, 2, 3, rng=seed), ReLU(), MaxPool2d(2), Flatten(), Linear(8, 3, rng=seed + 1))


def test_a_compiled_step_gives_backwards_loss_and_gradients_on_every_batch():
    import random

    from micrograd_plus.losses import cross_entropy
    from micrograd_plus.training import CompiledStep
    rng = random.Random(0)
    model = _cnn()
    step = CompiledStep(model, [[[0.0] * 6] * 6], classes=3, batch_size=4)
    for _ in range(3):  # new images each time: the max-pool's winners and relu's branches change
        images = [[[[rng.uniform(-1, 1) for _ in range(6)] for _ in range(6)]] for _ in range(4)]
        labels = [rng.randrange(3) for _ in range(4)]
        loss = step(images, labels)
        compiled = [p.grad for p in model.parameters()]
        model.zero_grad()
        reference = cross_entropy([model(x) for x in images], labels)
        reference.backward()
        assert loss == pytest.approx(reference.data, rel=1e-12)
        assert compiled == pytest.approx([p.grad for p in model.parameters()], rel=1e-9, abs=1e-12)
        for p in model.parameters():
            p.data -= 0.1 * p.grad


def test_a_compiled_step_refuses_what_it_cannot_replay():
    from micrograd_plus.nn import Dropout, Linear, Sequential
    from micrograd_plus.training import CompiledStep
    with pytest.raises(ValueError, match='freeze what Dropout draws'):
        CompiledStep(Sequential(Linear(2, 3, rng=0), Dropout(0.5)), [0.0, 0.0], classes=3, batch_size=2)
    step = CompiledStep(_cnn(), [[[0.0] * 6] * 6], classes=3, batch_size=2)
    with pytest.raises(ValueError, match='compiled for batches of 2, got 1 samples'):
        step([[[[0.0] * 6] * 6]], [0])
    with pytest.raises(ValueError, match=r'shaped like its example, \[1\]\[6\]\[6\], got one shaped \[1\]\[5\]\[6\]'):
        step([[[[0.0] * 6] * 5]] * 2, [0, 1])
    with pytest.raises(ValueError, match='a label must be at most 2'):
        step([[[[0.0] * 6] * 6]] * 2, [0, 3])
    with pytest.raises(ValueError, match='not a list of 3 scores'):
        CompiledStep(Linear(2, 4, rng=0), [0.0, 0.0], classes=3, batch_size=2)
