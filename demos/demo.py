"""`make demo`: every part of micrograd_plus, one after another. Outputs go to demos/output/."""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUTPUT = HERE / 'output'


def section(title: str) -> None:
    print(f"\n{'=' * 72}\n{title}\n{'=' * 72}")


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    import neuron
    section('1. The engine: the lecture neuron, forward and backward')
    neuron.main()


if __name__ == '__main__':
    main()
