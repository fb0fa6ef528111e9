# %% [markdown]
# # Lesson 13: early stopping
#
# Lesson 11's network, trained on 30 noisy points, gets better on new points for a while and then worse: it
# starts learning the noise. Early stopping watches the loss on a validation set after every epoch, remembers
# the weights from the epoch where it was lowest, and stops once it has not improved for `patience` epochs in a
# row; then it puts the remembered weights back.
#
# `EarlyStopping(patience)` does the bookkeeping: `stopper.step(val_loss, model)` saves the model's
# `state_dict()` at each new best, and returns True when it is time to stop, with the best weights already
# restored. The loop stays an ordinary training loop.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import Linear, ReLU, Sequential
from micrograd_plus.optim import Adam
from micrograd_plus.plots import decision_boundary
from micrograd_plus.training import EarlyStopping, History

# Numbers to change
PATIENCE = 20           # epochs without a new best validation loss before stopping
EPOCHS = 200            # how long training would go on without early stopping
TRAINING_POINTS = 30
WIDTH = 16
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The loop
#
# Each epoch is one step over all 30 training points, then the validation loss. With a stopper the loop ends
# when it says so; without one it runs all the epochs, so we can see what early stopping saved us from.

# %%
def build(width, seed):
    return Sequential(Linear(2, width, init='he', rng=seed), ReLU(), Linear(width, width, init='he', rng=seed + 1),
                      ReLU(), Linear(width, 1, rng=seed + 2))


def loss_on(model, X, y):
    with no_grad():
        return binary_cross_entropy_with_logits([model(x)[0] for x in X], y).data


def data(training_points, seed):
    return make_moons(training_points, noise=0.35, seed=seed), make_moons(100, noise=0.35, seed=seed + 100)


def train(patience, epochs, training_points, width, seed):
    """The model, its History (loss and val_loss per epoch), and the stopper (None: no early stopping)."""
    (X, y), (X_val, y_val) = data(training_points, seed)
    model = build(width, seed)
    optimizer = Adam(model.parameters(), lr=0.02)
    history = History()
    stopper = EarlyStopping(patience=patience) if patience else None
    for epoch in range(epochs):
        loss = binary_cross_entropy_with_logits([model(x)[0] for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        val_loss = loss_on(model, X_val, y_val)
        history.record(epoch, loss=loss_on(model, X, y), val_loss=val_loss)
        if stopper is not None and stopper.step(val_loss, model):
            break
    return model, history, stopper


stopped_model, stopped_history, stopper = train(PATIENCE, EPOCHS, TRAINING_POINTS, WIDTH, SEED)
full_model, full_history, _ = train(None, EPOCHS, TRAINING_POINTS, WIDTH, SEED)
(X, y), (X_val, y_val) = data(TRAINING_POINTS, SEED)
best = stopped_history.best('val_loss')
stop_epoch = stopped_history.steps['val_loss'][-1]
restored_val = loss_on(stopped_model, X_val, y_val)
print(f'best validation loss {best.value:.4f} at epoch {best.step}; stopped at epoch {stop_epoch} with validation '
      f'loss {stopped_history["val_loss"][-1]:.4f}; the restored model scores {restored_val:.4f}')
print(f'without early stopping: validation loss {full_history["val_loss"][-1]:.4f} after {EPOCHS} epochs')

# %% [markdown]
# ## The picture
#
# Left, the training and validation loss of the run without a stopper (the run with one is the same up to where
# it stopped), the best epoch and the stopping point. Right, what the restored model and the fully trained one
# decide over the plane, with the training points.

# %%
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 5), layout='constrained', width_ratios=[1.6, 1, 1])
full_history.plot('loss', 'val_loss', ax=left, xlabel='epoch',
                  labels=[f'training loss ({TRAINING_POINTS} points)', 'validation loss (100 new points)'])
left.axvline(best.step, color='#1b9e77', linestyle='--', label=f'best, epoch {best.step}: restored')
left.axvline(stop_epoch, color='#d95f02', linestyle='--', label=f'stopped, epoch {stop_epoch} (patience {PATIENCE})')
left.plot(best.step, restored_val, 'k*', markersize=12, label=f'restored model: {restored_val:.3f}')
left.set(ylabel='loss', title='Stop when validation stops improving')
left.legend(fontsize=9)
for ax, model, name in [(middle, stopped_model, f'restored (epoch {best.step})'),
                        (right, full_model, f'trained on ({EPOCHS} epochs)')]:
    decision_boundary(model, X, y, ax=ax, resolution=50,  # a logit > 0 is class 1
                      title=f'{name}\nvalidation loss {loss_on(model, X_val, y_val):.3f}')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '13_early_stopping.png', dpi=100)

# %% [markdown]
# ## The check
#
# The restored model is the model of the best epoch: its validation loss is that epoch's, to the last bit.

# %%
print(f'CLAIM: the validation loss was lowest at epoch {best.step} ({best.value:.4f}); early stopping stopped at '
      f'epoch {stop_epoch}, {PATIENCE} epochs later, and restored that model (validation loss {restored_val:.4f}), '
      f'where training on to epoch {EPOCHS} ends at {full_history["val_loss"][-1]:.4f}')
assert stop_epoch == best.step + PATIENCE and restored_val == best.value
assert full_history['val_loss'][-1] > 1.5 * best.value
assert full_history['val_loss'][:stop_epoch + 1] == stopped_history['val_loss']
