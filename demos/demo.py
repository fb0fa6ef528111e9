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
    import compiled_training
    import graphs
    import neuron
    import teaching
    import train
    section('1. The engine: the lecture neuron, forward and backward')
    neuron.main()
    section('2. Seeing the graph: draw_dot renders SVG and PNG with no Graphviz installed')
    graphs.main(OUTPUT)
    section('3. Teaching tools: explain(), the backprop stepper pages, the network picture')
    teaching.main(OUTPUT)
    section("4. Training: micrograd's moons demo, then a 3-class spiral")
    train.main(OUTPUT)
    section('5. Backward as code: the moons demo again, through one compiled program')
    compiled_training.main()
    section('Done')
    for path in sorted(OUTPUT.iterdir()):
        print(f'  {path.relative_to(HERE.parent)}')


if __name__ == '__main__':
    main()
