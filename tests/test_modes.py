"""Modes: no_grad(), enable_grad(), detect_anomaly(), per thread and per async task (micrograd_plus.modes)."""
import contextlib
import math

import pytest

from micrograd_plus import (
    AnomalyError,
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    no_grad,
)


def test_no_grad_records_nothing_and_restores_after_errors():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
        with enable_grad():
            c = a * a
        assert (a * a)._prev == ()
    assert b._prev == () and b.data == 7.0
    assert c._prev == (a, a)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError('boom')
    assert (a * a)._prev == (a, a)


def test_modes_used_as_decorators_keep_the_other_flag_as_it_is_when_called():
    @no_grad()
    def evaluate(x):
        return x.log()

    with detect_anomaly(), pytest.raises(AnomalyError):  # no_grad must not switch anomaly detection off
        evaluate(Value(0.0))
    assert evaluate(Value(1.0))._prev == ()


def test_one_mode_object_can_be_reused_and_nested():
    quiet = no_grad()
    a = Value(2.0)
    for _ in range(2):
        with quiet:
            with quiet:
                assert (a * a)._prev == ()
            assert (a * a)._prev == ()
        assert (a * a)._prev == (a, a)


def test_a_mode_refuses_to_decorate_a_generator_it_would_not_cover():
    with pytest.raises(TypeError, match='is a generator.*`with` block inside it'):
        @no_grad()
        def squares(xs):
            for x in xs:
                yield x * x
    with pytest.raises(TypeError, match='or a coroutine'):
        @no_grad()
        async def square(x):
            return x * x


def test_detect_anomaly_covers_grad_too():
    x = Value(0.0, label='x')
    with detect_anomaly():
        y = x.sqrt()
        with pytest.raises(AnomalyError, match=r"grad\(\) through op 'sqrt'.*gave inf for input 'x'"):
            grad(y, x)


def test_detect_anomaly_names_op_and_inputs_forward():
    x = Value(0.0, label='x')
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"op 'log' gave -inf from input\(s\) 'x' 0.0"):
            x.log()
        with pytest.raises(AnomalyError, match=r"op '/' gave inf"):
            Value(1.0, label='one') / x
    assert x.log().data == -math.inf  # outside the context: IEEE, no error


def test_detect_anomaly_names_op_in_backward():
    x = Value(0.0, label='x')
    y = x.sqrt()  # sqrt(0) = 0 is fine forward; its derivative 0.5/0 is not
    y.label = 'y'
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"backward of op 'sqrt' \(output 'y' 0.0\) gave grad inf to input 'x'"):
            y.backward()


def test_a_trainer_and_an_evaluator_in_two_threads_do_not_disturb_each_other():
    import threading
    import time

    from micrograd_plus import engine
    stop = threading.Event()
    wrong: list = []

    def train():
        x = Value(3.0)
        while not stop.is_set():
            y = (x * x + x).tanh()
            x.grad = 0.0
            y.backward()
            expected = (1 - math.tanh(12.0) ** 2) * 7.0
            if y._prev == () or not math.isclose(x.grad, expected, rel_tol=1e-12):
                wrong.append(x.grad)

    def evaluate():
        v = Value(0.5)
        while not stop.is_set():
            with no_grad():
                assert (v * 2)._prev == ()
            with detect_anomaly(), no_grad():
                (v + 1).exp()

    threads = [threading.Thread(target=train), threading.Thread(target=evaluate)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert engine.current_mode() == engine.ModeState() and engine._plain  # nothing left switched on


def test_interleaved_modes_in_many_threads_leave_nothing_on():
    import random
    import threading

    from micrograd_plus import engine, modes

    def toggle(seed):
        rng = random.Random(seed)
        for _ in range(300):
            mode = rng.choice([no_grad, detect_anomaly, enable_grad])()
            with mode:
                if rng.random() < 0.5:
                    with rng.choice([no_grad, detect_anomaly])():
                        pass
    threads = [threading.Thread(target=toggle, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert modes._modes_on == 0 and modes.plain and engine._plain
    assert (Value(1.0) * 2)._prev != ()


def test_one_mode_object_shared_by_threads_undoes_each_threads_own_switch():
    import threading
    shared = no_grad()
    seen = []

    def use():
        for _ in range(200):
            with shared:
                seen.append((Value(1.0) * 2)._prev == ())
            seen.append((Value(1.0) * 2)._prev != ())
    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(seen) and len(seen) == 1600


def test_a_mode_holds_in_its_async_task_only():
    import asyncio

    async def evaluator(started, done):
        with no_grad():
            started.set()
            await done.wait()

    async def trainer(started, done):
        await started.wait()
        result = Value(2.0) * 3  # the evaluator's no_grad() is on meanwhile, in its own task
        done.set()
        return result._prev

    async def main():
        started, done = asyncio.Event(), asyncio.Event()
        _, prev = await asyncio.gather(evaluator(started, done), trainer(started, done))
        return prev
    assert len(asyncio.run(main())) == 2


def test_detect_anomaly_catches_data_changed_after_the_graph_was_built():
    x = Value(2.0)
    y = (x * 3).tanh()
    x.data = 5.0  # micrograd (and plain backward here) would silently mix 2.0 and 5.0
    with detect_anomaly(), pytest.raises(AnomalyError, match=r'no longer what its inputs give.*forward pass again'):
        y.backward()
    y = (x * 3).tanh()
    with detect_anomaly():
        y.backward()  # rebuilt: nothing to report


def test_an_async_task_made_inside_no_grad_keeps_it_after_the_block_and_the_fast_path_knows():
    import asyncio
    import threading

    from micrograd_plus import engine

    async def main():
        with no_grad():
            task = asyncio.ensure_future(later())  # the task copies the context: no_grad() comes with it
        await asyncio.sleep(0)
        return await task

    async def later():
        await asyncio.sleep(0.01)
        return (Value(2.0) * 3)._prev  # the block that made the task has exited by now

    assert asyncio.run(main()) == ()
    assert engine._plain and (Value(2.0) * 3)._prev != ()  # and once the task is gone, the fast path is back

    other_recorded = []
    stop = threading.Event()
    ready = threading.Event()

    def other_thread():
        with detect_anomaly():  # some other thread's mode must not change what this one records
            ready.set()
            stop.wait(5)
    thread = threading.Thread(target=other_thread)
    thread.start()
    ready.wait(5)
    other_recorded.append((Value(2.0) * 3)._prev != ())
    stop.set()
    thread.join()
    assert other_recorded == [True]


def test_modes_left_out_of_order_by_generators_still_agree_with_the_fast_path():
    import threading

    from micrograd_plus import engine
    seen = []

    def inside(mode):
        with mode:
            yield

    def run():  # in a thread of its own: the mode it is left in stays there
        first, second = inside(no_grad()), inside(detect_anomaly())
        next(first)
        next(second)
        for generator in (first, second):  # the first block exits first: contextvars puts back no_grad
            with contextlib.suppress(StopIteration):
                next(generator)
        seen.append(((Value(2.0) * 3)._prev != (), engine.current_mode().grad_enabled))
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    recorded, grad_enabled = seen[0]
    assert recorded == grad_enabled  # what ops do is what the mode says, whatever it is
