import math

import pytest

from micrograd_plus.engine import Value
from micrograd_plus.nn import MLP
from micrograd_plus.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
    grad_norm,
    lr_scheduler,
)

START = [0.5, -1.5, 2.0]
STEPS = 25


def with_grads(values, grads):
    params = [Value(v) for v in values]
    for p, g in zip(params, grads):
        p.grad = g
    return params


# ---------------------------------------------------------------- hand-computed updates

def test_sgd_step_is_lr_times_grad():
    [p] = with_grads([1.0], [0.5])
    SGD([p], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5


def test_sgd_momentum_and_weight_decay_by_hand():
    [p] = with_grads([1.0], [0.5])
    optimizer = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    optimizer.step()
    g1 = 0.5 + 0.01 * 1.0  # velocity starts as the first gradient
    assert p.data == pytest.approx(1.0 - 0.1 * g1, rel=1e-15)
    after_first = p.data
    p.grad = -0.2
    optimizer.step()
    v2 = 0.9 * g1 + (-0.2 + 0.01 * after_first)
    assert p.data == pytest.approx(after_first - 0.1 * v2, rel=1e-15)


def test_adam_first_two_steps_by_hand():
    [p] = with_grads([1.0], [0.5])
    optimizer = Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    optimizer.step()
    # bias correction makes the first step lr * g / (|g| + eps): almost exactly lr
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-14)
    p.grad = -0.3
    first = p.data
    optimizer.step()
    m = 0.9 * 0.05 + 0.1 * -0.3
    v = 0.999 * 0.001 * 0.25 + 0.001 * 0.09
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    assert p.data == pytest.approx(first - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-14)


def test_adam_weight_decay_adds_to_the_gradient():
    [p], [q] = with_grads([2.0], [0.5]), with_grads([2.0], [0.5 + 0.1 * 2.0])
    Adam([p], lr=0.01, weight_decay=0.1).step()
    Adam([q], lr=0.01).step()
    assert p.data == q.data


def test_sgd_nesterov_steps_by_hand():
    [p] = with_grads([1.0], [0.5])
    optimizer = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    optimizer.step()
    assert p.data == 1.0 - 0.1 * (0.5 + 0.9 * 0.5)  # v = g on the first step; the step uses g + momentum * v
    after_first = p.data
    p.grad = -0.2
    optimizer.step()
    v2 = 0.9 * 0.5 + -0.2
    assert p.data == after_first - 0.1 * (-0.2 + 0.9 * v2)


def test_lr_can_change_between_steps():
    [p] = with_grads([1.0], [1.0])
    optimizer = SGD([p], lr=0.5)
    optimizer.step()
    optimizer.lr = 0.25
    optimizer.step()
    assert p.data == 1.0 - 0.5 - 0.25


def test_zero_grad_resets_the_parameters_grads():
    model = MLP(2, [3, 1], rng=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    model([1.0, 2.0]).backward()
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_training_decreases_a_quadratic():
    params = [Value(v) for v in START]
    optimizer = Adam(params, lr=0.1)
    for _ in range(200):
        loss = sum((p - 3.0) * (p - 3.0) for p in params)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert all(abs(p.data - 3.0) < 1e-3 for p in params)


# ---------------------------------------------------------------- against PyTorch, float64

def objective(p0, p1, p2):
    """A non-quadratic loss, so that momentum and Adam's moments matter; works on Values and tensors."""
    return (p0 - 1) * (p0 - 1) * p1 * p1 + (p1 + 2 * p2).tanh() * 3 + p2 * p2 * p2 * 0.1 + p0 * p2


def run(params, make_optimizer, read):
    """STEPS optimizer steps on objective(); the parameters after each, read as floats."""
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        objective(*params).backward()
        optimizer.step()
        trajectory.append([read(p) for p in params])
    return trajectory


def run_ours(make_optimizer):
    return run([Value(v) for v in START], make_optimizer, lambda p: p.data)


def run_torch(torch, make_optimizer):
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    return run(params, make_optimizer, lambda p: p.item())


@pytest.mark.parametrize('settings', [
    dict(lr=0.05), dict(lr=0.05, momentum=0.9), dict(lr=0.02, weight_decay=0.1),
    dict(lr=0.03, momentum=0.5, weight_decay=0.05), dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.03, momentum=0.5, weight_decay=0.05, nesterov=True)])
def test_sgd_matches_pytorch(settings):
    torch = pytest.importorskip('torch')
    ours = run_ours(lambda params: SGD(params, **settings))
    theirs = run_torch(torch, lambda params: torch.optim.SGD(params, **settings))
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('settings', [
    dict(lr=0.05), dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.05, weight_decay=0.1)])
def test_adam_matches_pytorch(settings):
    torch = pytest.importorskip('torch')
    ours = run_ours(lambda params: Adam(params, **settings))
    theirs = run_torch(torch, lambda params: torch.optim.Adam(params, foreach=False, **settings))
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('max_norm', [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(max_norm):
    torch = pytest.importorskip('torch')
    grads = [3.0, -4.0, 12.0]
    ours = with_grads([0.0] * 3, grads)
    norm = clip_grad_norm(ours, max_norm)
    theirs = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert norm == 13.0 == pytest.approx(reference.item(), rel=1e-15)
    assert [p.grad for p in ours] == pytest.approx([t.grad.item() for t in theirs], rel=1e-14)


NON_FINITE_GRADS = [[math.inf, 1.0], [-math.inf, 2.0], [math.nan, 1.0], [math.inf, math.nan], [math.inf, math.inf],
                    [3.0, 4.0]]


def torch_clipped(torch, grads, max_norm, norm_type):
    theirs = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    return norm.item(), [t.grad.item() for t in theirs]


def same_floats(ours, theirs):
    return all((a != a and b != b) or a == pytest.approx(b, rel=1e-14) for a, b in zip(ours, theirs))


@pytest.mark.parametrize('grads', NON_FINITE_GRADS)
@pytest.mark.parametrize('max_norm', [1.0, 10.0, math.inf, 0.0])
@pytest.mark.parametrize('norm_type', [2.0, math.inf, 1.0])
def test_clip_grad_norm_with_inf_or_nan_grads_returns_that_norm_and_scales_as_pytorch(grads, max_norm, norm_type):
    torch = pytest.importorskip('torch')
    params = with_grads([0.0] * len(grads), grads)
    norm = clip_grad_norm(params, max_norm, norm_type)
    reference_norm, reference_grads = torch_clipped(torch, grads, max_norm, norm_type)
    assert same_floats([norm], [reference_norm])
    assert same_floats([p.grad for p in params], reference_grads)


def test_clip_grad_norm_of_an_inf_grad_is_inf_and_the_grads_become_nan_and_zero_as_in_pytorch():
    params = with_grads([0.0, 0.0], [math.inf, 1.0])
    assert clip_grad_norm(params, 1.0) == math.inf
    assert math.isnan(params[0].grad) and params[1].grad == 0.0  # inf * (1 / inf) = nan, 1 * 0 = 0


def test_clip_grad_norm_can_refuse_a_non_finite_norm_and_then_leaves_the_grads_alone():
    params = with_grads([0.0, 0.0], [math.inf, 1.0])
    with pytest.raises(FloatingPointError, match=r'norm of inf, so they cannot be clipped.*detect_anomaly'):
        clip_grad_norm(params, 1.0, error_if_nonfinite=True)
    assert [p.grad for p in params] == [math.inf, 1.0]


def test_grad_norm_is_nan_when_a_grad_is_nan_in_any_position_as_pytorch():
    for grads in ([1.0, math.nan], [math.nan, 1.0]):
        for norm_type in (2.0, math.inf, 1.0, 0.5):
            assert math.isnan(grad_norm(with_grads([0.0, 0.0], grads), norm_type))


def test_adam_refuses_eps_zero_which_would_divide_zero_by_zero_at_the_first_zero_gradient():
    with pytest.raises(ValueError, match=r'Adam: eps must be > 0 \(it keeps the division finite\), like 1e-8, got'):
        Adam([Value(1.0)], eps=0)


@pytest.mark.parametrize('call, error, match', [
    (lambda: SGD([Value(1.0)], lr=math.inf), ValueError, 'SGD: lr must be a finite number, got float inf'),
    (lambda: SGD([Value(1.0)], lr=Value(0.1)), TypeError, r'lr must be a number, got Value\(data=0.1.*v.data'),
    (lambda: SGD([Value(1.0)], lr='0.1'), TypeError, "lr must be a number, got str '0.1': convert text"),
    (lambda: SGD([Value(1.0)], lr=0.1, nesterov='yes'), TypeError, "nesterov is True or False, got str 'yes'"),
    (lambda: Adam([Value(1.0)], betas=0.9), TypeError, 'betas must be a pair of numbers'),
    (lambda: Adam([Value(1.0)], betas=(0.9,)), ValueError, 'betas must be a pair of numbers'),
    (lambda: grad_norm([1.0]), TypeError, r'grad_norm\(params\) must be a list of Values'),
    (lambda: grad_norm(None), TypeError, r'grad_norm\(params\) must be a list of Values .*, got None'),
    (lambda: clip_grad_norm([Value(1.0)], None), TypeError, 'max_norm must be a number, got None'),
    (lambda: clip_grad_value([Value(1.0)], 10 ** 400), None, None),  # a huge clip value clips nothing
])
def test_optimizer_arguments_are_checked_where_they_enter(call, error, match):
    if error is None:
        call()
        return
    with pytest.raises(error, match=match):
        call()


def test_grad_norm_only_reads_and_matches_pytorch():
    torch = pytest.importorskip('torch')
    grads = [3.0, -4.0, 12.0, -0.5]
    params = with_grads([0.0] * 4, grads)
    theirs = [torch.tensor(g, dtype=torch.float64) for g in grads]
    for norm_type in (2.0, 1.0, 3.0, math.inf):
        reference = torch.nn.utils.get_total_norm(theirs, norm_type=norm_type).item()
        assert grad_norm(params, norm_type) == pytest.approx(reference, rel=1e-15)
    assert grad_norm(params) == math.sqrt(9 + 16 + 144 + 0.25)
    assert [p.grad for p in params] == grads


def test_clip_grad_value_matches_pytorch_and_keeps_nan():
    torch = pytest.importorskip('torch')
    grads = [3.0, -4.0, 0.25, -0.5, math.inf, -math.inf, 1.0]
    ours = with_grads([0.0] * len(grads), grads)
    clip_grad_value(ours, 1.0)
    theirs = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_value_(theirs, 1.0)
    assert [p.grad for p in ours] == [t.grad.item() for t in theirs] == [1.0, -1.0, 0.25, -0.5, 1.0, -1.0, 1.0]
    [nan] = with_grads([0.0], [math.nan])
    clip_grad_value([nan], 1.0)
    assert math.isnan(nan.grad)


def test_clip_grad_norm_by_hand():
    params = with_grads([0.0, 0.0], [3.0, 4.0])
    assert clip_grad_norm(params, 1.0) == 5.0
    assert math.hypot(*(p.grad for p in params)) == pytest.approx(1.0, rel=1e-6)
    assert params[0].grad / params[1].grad == pytest.approx(0.75, rel=1e-15)
    small = with_grads([0.0], [0.1])
    clip_grad_norm(small, 1.0)
    assert small[0].grad == 0.1


# ---------------------------------------------------------------- clear errors

@pytest.mark.parametrize('call, error, match', [
    (lambda: SGD(MLP(2, [1]), lr=0.1), TypeError, r'use SGD\(model.parameters\(\), ...\)'),
    (lambda: SGD([], lr=0.1), ValueError, 'empty parameter list'),
    (lambda: SGD([1.0], lr=0.1), TypeError, r'SGD\(params\) must be a list of Values \(model.paramet.*, got float'),
    (lambda: SGD([Value(1.0)] * 2, lr=0.1), ValueError, 'same parameter twice'),
    (lambda: SGD([Value(1.0)], lr=-1), ValueError, 'lr must be >= 0'),
    (lambda: Adam([Value(1.0)], betas=(1.0, 0.9)), ValueError, r'betas must be in \[0, 1\)'),
    (lambda: clip_grad_norm([Value(1.0)], -1.0), ValueError, 'max_norm must be >= 0'),
    (lambda: clip_grad_value([Value(1.0)], -1.0), ValueError, 'clip_value must be >= 0'),
    (lambda: grad_norm([Value(1.0)], 0), ValueError, 'norm_type must be > 0'),
    (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, 'nesterov=True .* needs momentum > 0'),
])
def test_bad_arguments_say_what_to_do(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- RMSprop, Adagrad, AdamW against PyTorch

@pytest.mark.parametrize('settings', [
    dict(lr=0.01), dict(lr=0.01, alpha=0.9, eps=1e-6), dict(lr=0.005, momentum=0.9), dict(lr=0.01, centered=True),
    dict(lr=0.003, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.1), dict(lr=0.01, alpha=0.3, centered=True)])
def test_rmsprop_matches_pytorch(settings):
    torch = pytest.importorskip('torch')
    ours = run_ours(lambda params: RMSprop(params, **settings))
    theirs = run_torch(torch, lambda params: torch.optim.RMSprop(params, foreach=False, **settings))
    # centered with a small alpha: a last-bit difference (from step 3) grows along the path to ~1e-12 by step 25
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize('settings', [
    dict(lr=0.1), dict(lr=0.1, lr_decay=0.05), dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-6),
    dict(lr=0.1, weight_decay=0.2, lr_decay=0.01, initial_accumulator_value=0.1)])
def test_adagrad_matches_pytorch(settings):
    torch = pytest.importorskip('torch')
    ours = run_ours(lambda params: Adagrad(params, **settings))
    theirs = run_torch(torch, lambda params: torch.optim.Adagrad(params, foreach=False, **settings))
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('settings', [
    dict(), dict(lr=0.05), dict(lr=0.05, weight_decay=0.5), dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0)])
def test_adamw_matches_pytorch(settings):
    torch = pytest.importorskip('torch')
    ours = run_ours(lambda params: AdamW(params, **settings))
    theirs = run_torch(torch, lambda params: torch.optim.AdamW(params, foreach=False, **settings))
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


def test_adamw_decays_the_weight_itself_not_the_gradient():
    [p], [q] = with_grads([2.0], [0.0]), with_grads([2.0], [0.0])
    AdamW([p], lr=0.1, weight_decay=0.5).step()
    Adam([q], lr=0.1, weight_decay=0.5).step()
    assert p.data == 2.0 * (1 - 0.1 * 0.5)  # a zero gradient: Adam's step is 0, the decay alone moves p
    assert q.data == pytest.approx(2.0 - 0.1, rel=1e-7)  # L2: the decay term is the gradient, normalised to ~lr


def test_rmsprop_first_step_by_hand():
    [p] = with_grads([1.0], [0.5])
    RMSprop([p], lr=0.01, alpha=0.9).step()
    assert p.data == 1.0 - 0.01 * 0.5 / (math.sqrt(0.1 * 0.25) + 1e-8)


def test_adagrad_steps_shrink_with_the_gradient_seen():
    [p] = with_grads([0.0], [1.0])
    optimizer = Adagrad([p], lr=1.0, eps=1e-12)
    moves = []
    for _ in range(4):
        before = p.data
        optimizer.step()
        moves.append(before - p.data)
    assert moves == pytest.approx([1 / math.sqrt(k) for k in (1, 2, 3, 4)], rel=1e-11)


# ---------------------------------------------------------------- settings checked when assigned later

@pytest.mark.parametrize('make, setting, bad', [
    (lambda ps: SGD(ps, lr=0.1), 'lr', -1), (lambda ps: SGD(ps, lr=0.1), 'momentum', math.nan),
    (lambda ps: SGD(ps, lr=0.1), 'nesterov', 'yes'), (lambda ps: Adam(ps), 'betas', (0.9, 1.0)),
    (lambda ps: Adam(ps), 'eps', 0.0), (lambda ps: AdamW(ps), 'weight_decay', -0.1),
    (lambda ps: RMSprop(ps), 'alpha', 1.5), (lambda ps: RMSprop(ps), 'centered', None),
    (lambda ps: Adagrad(ps), 'lr_decay', -1.0), (lambda ps: Adagrad(ps), 'lr', 'fast')])
def test_every_setting_is_checked_when_assigned_later_too(make, setting, bad):
    optimizer = make([Value(1.0)])
    before = getattr(optimizer, setting)
    with pytest.raises((TypeError, ValueError), match=f'{type(optimizer).__name__}: {setting}'):
        setattr(optimizer, setting, bad)
    assert getattr(optimizer, setting) == before  # refused: nothing changed


def test_momentum_cannot_be_taken_from_under_nesterov():
    optimizer = SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match='nesterov=True .* needs momentum > 0, got momentum=0'):
        optimizer.momentum = 0
    optimizer.nesterov = False
    optimizer.momentum = 0
    assert optimizer.momentum == 0.0


def test_a_setting_assigned_later_is_used_from_the_next_step():
    [p] = with_grads([1.0], [1.0])
    optimizer = RMSprop([p], lr=0.5)
    optimizer.lr = 0.0
    optimizer.step()
    assert p.data == 1.0 and optimizer.lr == 0.0


# ---------------------------------------------------------------- lr_scheduler against PyTorch

SCHEDULES = [
    ('StepLR', dict(step_size=3, gamma=0.5)), ('StepLR', dict(step_size=1)),
    ('ExponentialLR', dict(gamma=0.9)),
    ('CosineAnnealingLR', dict(T_max=10)), ('CosineAnnealingLR', dict(T_max=7, eta_min=0.01)),
    ('LinearLR', dict()), ('LinearLR', dict(start_factor=0.1, total_iters=8)),
    ('LinearLR', dict(start_factor=1.0, end_factor=0.2, total_iters=4))]


def lr_sequence(optimizer, scheduler, epochs=25):
    """The lr of each epoch: the optimizer's (what it steps with) and get_last_lr()'s."""
    seen = []
    for _ in range(epochs):
        seen.append((optimizer.param_groups[0]['lr'] if hasattr(optimizer, 'param_groups') else optimizer.lr,
                     scheduler.get_last_lr()[0]))
        optimizer.step()
        scheduler.step()
    return seen


@pytest.mark.parametrize('name, settings', SCHEDULES, ids=[f'{n}-{s}' for n, s in SCHEDULES])
def test_lr_schedules_give_pytorchs_sequence(name, settings):
    torch = pytest.importorskip('torch')
    ours_optimizer = SGD([Value(1.0)], lr=0.1, momentum=0.9)
    ours = lr_sequence(ours_optimizer, getattr(lr_scheduler, name)(ours_optimizer, **settings))
    theirs_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    theirs = lr_sequence(theirs_optimizer, getattr(torch.optim.lr_scheduler, name)(theirs_optimizer, **settings))
    assert [a for a, _ in ours] == [b for _, b in ours]  # get_last_lr() is what the optimizer uses
    assert ours == [pytest.approx(pair, rel=1e-15, abs=1e-300) for pair in theirs]


def test_cosine_annealing_reaches_eta_min_at_t_max_and_linear_warmup_reaches_the_lr():
    optimizer = SGD([Value(1.0)], lr=1.0)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.1)
    for _ in range(4):
        cosine.step()
    assert optimizer.lr == pytest.approx(0.1, rel=1e-14)
    optimizer = Adam([Value(1.0)], lr=0.3)
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=3)
    assert optimizer.lr == 0.3 * 0.25
    for _ in range(5):
        warmup.step()
    assert optimizer.lr == pytest.approx(0.3, rel=1e-15)


def test_a_scheduler_is_reached_as_optim_lr_scheduler_and_refuses_what_it_cannot_schedule():
    from micrograd_plus import optim
    assert optim.lr_scheduler.StepLR is lr_scheduler.StepLR
    with pytest.raises(TypeError, match='schedules an optimizer'):
        lr_scheduler.StepLR([Value(1.0)], step_size=2)
    with pytest.raises(ValueError, match='T_max'):
        lr_scheduler.CosineAnnealingLR(SGD([Value(1.0)], lr=0.1), T_max=0)
