# %% [markdown]
# # Lesson 18: a character-level language model
#
# A language model gives the probability of the next character given the ones before it. Trained on 5,163
# first names (the 1990 US Census lists, shipped with the library), it learns what names look like, and it
# can then write new ones, one character at a time.
#
# The yardstick is the simplest model there is: count, for each character, which character follows it
# (a bigram model: "after q comes u"). It sees one character back. A recurrent network reads the whole name
# so far: its hidden state $\vec h_t$ carries what it has read, and a `Linear` layer turns it into 27
# scores, one per letter and one for '.', the end of the name. The loss is the cross-entropy of the true
# next character, averaged over every character: the same number the bigram model is measured by (its
# negative log-likelihood per character, in nats).

# %%
import itertools
import math
import pathlib
import random
import time

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import BOUNDARY, alphabet, decode, encode, load_names
from micrograd_plus.nn import RNN, Linear, Module
from micrograd_plus.optim import Adam
from micrograd_plus.training import CompiledStep

# Numbers to change
LENGTHS = (3, 7)        # names of 3 to 7 letters (most of them)
HIDDEN = 16
STEPS = 250             # training steps, each on 16 names of one length
BATCH = 16
LEARNING_RATE = 0.02
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)   # one generated name per seed
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'

NAMES = load_names()
CHARACTERS = alphabet(NAMES)   # '.abcdefghijklmnopqrstuvwxyz': index 0 starts and ends a name


# %% [markdown]
# ## The data and the baseline
#
# Names of 3 to 7 letters, 90% to train on and 10% held out. The bigram model counts pairs in the training
# names (plus one for every pair, so no pair has probability 0).

# %%
def split(lengths, seed):
    names = [name for name in NAMES if lengths[0] <= len(name) <= lengths[1]]
    random.Random(seed).shuffle(names)
    cut = len(names) * 9 // 10
    return names[:cut], names[cut:]


def pairs(name):
    """(this character, next character) index pairs of '.name.'."""
    codes = encode(BOUNDARY + name + BOUNDARY, CHARACTERS)
    return list(itertools.pairwise(codes))


def bigram_loss(train_names, test_names):
    """The bigram model's negative log-likelihood per character on test_names, counted on train_names."""
    n = len(CHARACTERS)
    counts = [[1] * n for _ in range(n)]
    for name in train_names:
        for a, b in pairs(name):
            counts[a][b] += 1
    losses = [-math.log(counts[a][b] / sum(counts[a])) for name in test_names for a, b in pairs(name)]
    return sum(losses) / len(losses)


train_names, test_names = split(LENGTHS, SEED)
baseline = bigram_loss(train_names, test_names)
print(f'{len(train_names)} names to train on, {len(test_names)} held out; bigram counts: {baseline:.3f} nats per '
      'character held out')


# %% [markdown]
# ## The network
#
# Each character goes in as a one-hot vector of 27 numbers; `RNN(27, 16)` reads them, and `Linear(16, 27)`
# scores the next character at every step. Names of one length all build the same graph, so training uses
# one `CompiledStep` per length (lesson 16), each batch 16 names of one length.

# %%
def one_hot(index):
    return [1.0 if k == index else 0.0 for k in range(len(CHARACTERS))]


class CharRNN(Module):
    """Scores for the next character after each character read."""

    def __init__(self, hidden, seed):
        self.rnn = RNN(len(CHARACTERS), hidden, rng=seed)
        self.head = Linear(hidden, len(CHARACTERS), init='xavier', rng=seed + 1)

    def __call__(self, xs, h=None):
        outputs, _ = self.rnn(xs, h)
        return [self.head(h_t) for h_t in outputs]


def inputs_and_targets(name):
    codes = encode(BOUNDARY + name + BOUNDARY, CHARACTERS)
    return [one_hot(c) for c in codes[:-1]], codes[1:]


def train(train_names, steps, hidden, batch, learning_rate, seed):
    """The model and its training loss per step: batches of one length, lengths drawn as often as they occur."""
    model = CharRNN(hidden, seed)
    by_length: dict = {}
    for name in train_names:
        by_length.setdefault(len(name), []).append(name)
    lengths = sorted(n for n in by_length if len(by_length[n]) >= batch)
    compiled = {n: CompiledStep(model, inputs_and_targets(by_length[n][0])[0], len(CHARACTERS), batch)
                for n in lengths}
    optimizer, rng, losses = Adam(model.parameters(), lr=learning_rate), random.Random(seed), []
    for _ in range(steps):
        n = rng.choices(lengths, [len(by_length[n]) for n in lengths])[0]
        xs, ys = zip(*(inputs_and_targets(name) for name in rng.sample(by_length[n], batch)))
        losses.append(compiled[n](list(xs), list(ys)))
        optimizer.step()
    return model, losses


def model_loss(model, names):
    """The network's negative log-likelihood per character on names."""
    total, count = 0.0, 0
    with no_grad():
        for name in names:
            xs, targets = inputs_and_targets(name)
            for scores, target in zip(model(xs), targets):
                top = max(s.data for s in scores)
                total += math.log(sum(math.exp(s.data - top) for s in scores)) + top - scores[target].data
                count += 1
    return total / count


started = time.perf_counter()
model, losses = train(train_names, STEPS, HIDDEN, BATCH, LEARNING_RATE, SEED)
held_out = model_loss(model, test_names)
print(f'trained in {time.perf_counter() - started:.0f} s: {held_out:.3f} nats per character held out, against '
      f'the bigram counts\' {baseline:.3f}')


# %% [markdown]
# ## Writing names
#
# Start from '.', draw the next character from the network's probabilities (softmax of its scores), feed it
# back in, until it draws '.'. A seed fixes the draws, so each seed writes the same name every time.

# %%
def generate(model, seed, longest=12):
    rng = random.Random(seed)
    index, h, out = 0, None, []
    with no_grad():
        for _ in range(longest):
            _, h = model.rnn([one_hot(index)], h)
            scores = [s.data for s in model.head(h)]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            index = rng.choices(range(len(CHARACTERS)), weights)[0]
            if index == 0:
                break
            out.append(index)
    return decode(out, CHARACTERS)


written = [generate(model, seed) for seed in SEEDS]
print('names it writes, seeds', ', '.join(map(str, SEEDS)), ':', ', '.join(written))
print('of which in the training data:', [name for name in written if name in set(NAMES)])

# %%
fig, ax = plt.subplots(figsize=(10, 4.5), layout='constrained')
window = 20
smoothed = [sum(losses[max(0, k - window + 1):k + 1]) / len(losses[max(0, k - window + 1):k + 1])
            for k in range(len(losses))]
ax.plot(losses, color='#bbbbbb', label='training loss, one batch')
ax.plot(smoothed, color='#1b9e77', label=f'training loss, mean of {window} batches')
ax.axhline(baseline, color='#d95f02', linestyle='--', label=f'bigram counts, held out: {baseline:.3f}')
ax.axhline(held_out, color='#1b9e77', linestyle=':', label=f'the RNN, held out: {held_out:.3f}')
ax.axhline(math.log(len(CHARACTERS)), color='grey', linestyle=':', label='ln 27: a uniform guess')
ax.set(xlabel='training step', ylabel='nats per character', ylim=(1.8, 3.4),
       title='A character-level RNN on first names. It writes: ' + ', '.join(written))
ax.legend(loc='upper right')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '18_language_model.png', dpi=100)

# %% [markdown]
# ## The check

# %%
print(f'CLAIM: after {STEPS} steps the RNN predicts held-out names at {held_out:.3f} nats per character, better than '
      f'bigram counts ({baseline:.3f}) and far from a uniform guess ({math.log(27):.3f}); from seeds {SEEDS[0]}-'
      f'{SEEDS[-1]} it writes {", ".join(written)}')
assert held_out < baseline - 0.05 and 2.2 < baseline < 2.5
assert written == [generate(model, seed) for seed in SEEDS] and all(name.isalpha() for name in written if name)
