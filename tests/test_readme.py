"""Every ```python block in README.md runs as written (in order, sharing nothing)."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / 'README.md'
BLOCKS = re.findall(r'```python\n(.*?)```', README.read_text(), flags=re.S)


@pytest.mark.parametrize('index', range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch, request):
    if re.search(r'\.render\(|stepper\(', BLOCKS[index]):
        request.getfixturevalue('renderer')  # skips where nothing can draw (no graphviz-pure wheel, no dot)
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    exec(compile(BLOCKS[index], f'README.md block {index + 1}', 'exec'), {'__name__': '__readme__'})
