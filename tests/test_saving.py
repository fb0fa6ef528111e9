"""Parameter files: loading is linear, rejects what save() never writes, reads only regular files of a
sane size; saving works for any legal file name and clears the leftovers of a killed save."""
import json
import os
import subprocess
import sys
import time

import pytest

from micrograd_plus import saving
from micrograd_plus.nn import MLP
from micrograd_plus.saving import ParameterFileError


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / 'model.json'
    MLP(2, [3, 1], rng=5).save(path)
    return path


def rewrite(path, change):
    path.write_text(change(path.read_text()))


@pytest.mark.parametrize('token', ['NaN', 'Infinity', '-Infinity'])
def test_bare_nan_and_infinity_tokens_are_refused_with_what_save_writes_instead(saved, token):
    rewrite(saved, lambda text: text.replace('0.0', token, 1))
    with pytest.raises(ParameterFileError, match=f'bare token {token}, which is not JSON'):
        MLP(2, [3, 1]).load(saved)


def test_a_number_too_large_for_a_float_is_refused(saved):
    rewrite(saved, lambda text: text.replace('0.0', '1e999', 1))
    with pytest.raises(ParameterFileError, match='1e999, too large for a float'):
        MLP(2, [3, 1]).load(saved)


@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='no FIFOs here')
def test_a_fifo_is_refused_at_once_instead_of_hanging(tmp_path):
    fifo = tmp_path / 'pipe.json'
    os.mkfifo(fifo)
    with pytest.raises(ParameterFileError, match='not a regular file'):
        MLP(2, [3, 1]).load(fifo)


@pytest.mark.skipif(not os.path.exists('/dev/zero'), reason='no /dev/zero here')
def test_an_endless_device_is_refused_without_reading_it():
    with pytest.raises(ParameterFileError, match='not a regular file'):
        MLP(2, [3, 1]).load('/dev/zero')


def test_a_file_over_the_size_cap_is_refused_after_reading_only_the_cap(saved, monkeypatch):
    monkeypatch.setattr(saving, 'MAX_FILE_BYTES', 100)
    with pytest.raises(ParameterFileError, match='larger than'):
        MLP(2, [3, 1]).load(saved)


def test_loading_many_parameters_checks_names_in_linear_time():
    names = [f'p{i}' for i in range(200_000)]
    state = dict.fromkeys(names, 1.0)
    assert saving.checked_values(names, state)[-1] == 1.0  # a list lookup per key took minutes at this size


def test_a_mismatch_message_stays_readable_for_a_big_model(tmp_path):
    path = tmp_path / 'big.json'
    MLP(2, [64, 64, 1], rng=0).save(path)
    with pytest.raises(ParameterFileError) as error:
        MLP(2, [32, 1], rng=0).load(path)
    assert len(str(error.value)) < 600, str(error.value)
    assert '4288 unexpected parameter(s)' in str(error.value) and 'saved from MLP of [Layer of' in str(error.value)


@pytest.mark.parametrize('length', [200, 237, 250, 255])
def test_a_file_name_of_any_legal_length_saves(tmp_path, length):
    path = tmp_path / ('m' * (length - 5) + '.json')
    MLP(2, [3, 1], rng=1).save(path)
    assert json.loads(path.read_text())['format'] == saving.FILE_FORMAT
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.skipif(os.name != 'posix', reason='the dead writer is found by its process id on POSIX')
def test_a_killed_saves_temporary_is_cleared_by_the_next_save_to_that_path(saved):
    child = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    dead = int(child.stdout)  # a process that has ended
    leftover = saved.parent / f'{saving._temporary_prefix(saved)}{dead}.abcd1234.tmp'
    leftover.write_text('half a file')
    other = saved.parent / f'{saving._temporary_prefix(saved.with_name("other.json"))}{dead}.abcd1234.tmp'
    other.write_text('not ours to clear: another path')
    MLP(2, [3, 1], rng=2).save(saved)
    assert not leftover.exists() and other.exists()


def test_a_recent_temporary_of_a_live_writer_is_left_alone(saved):
    live = saved.parent / f'{saving._temporary_prefix(saved)}{os.getppid()}.abcd1234.tmp'
    live.write_text('another save, in progress')
    MLP(2, [3, 1], rng=2).save(saved)
    assert live.exists()
    old = time.time() - 2 * saving.STALE_AFTER
    os.utime(live, (old, old))
    MLP(2, [3, 1], rng=2).save(saved)
    assert not live.exists()


def test_the_file_helpers_say_what_they_take(tmp_path):
    with pytest.raises(TypeError, match=r'read_parameter_file\(path\) must be a file name .*, got None'):
        saving.read_parameter_file(None)
    with pytest.raises(ValueError, match=r'write_atomically\(path\) must be a file name, got an empty one'):
        saving.write_atomically('', '{}')
    with pytest.raises(TypeError, match=r'write_atomically\(text\) must be text \(a str\), got None'):
        saving.write_atomically(tmp_path / 'x.json', None)
    with pytest.raises(TypeError, match=r'document\(state\) takes a state dict'):
        saving.document('MLP', None)
    with pytest.raises(ValueError, match=r'shortened\(limit\) must be an int >= 3, got 1'):
        saving.shortened('text', 1)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize('count', [float('inf'), float('nan'), 2.7, -1.0])
def test_a_bad_batch_count_is_refused_before_anything_changes(count):
    from micrograd_plus.nn import BatchNorm, Linear, Sequential
    model = Sequential(Linear(2, 3, rng=0), BatchNorm(3))
    state = dict(model.state_dict())
    before = dict(state)
    state['layers.0.neurons.0.w.0'] = 123.0
    state['layers.1.num_batches_tracked'] = count
    with pytest.raises(ValueError, match="'layers.1.num_batches_tracked' counts batches"):
        model.load_state_dict(state)
    assert model.state_dict() == before
