"""Turning DOT source into pictures: with graphviz-pure, which micrograd_plus installs, or Graphviz's ``dot``.

Students often have Python but not Graphviz. So ``pip install micrograd_plus`` brings graphviz-pure, a port
of Graphviz 16.1 shipped as one native program in wheels for Linux, macOS and Windows: SVG, PNG and JPEG
render on a fresh machine, with fonts bundled. A system ``dot``, where installed, makes the formats
graphviz-pure lacks (PDF, PostScript...). :func:`choose_renderer` says which program makes what.

Digraph keeps the graphviz package's API and replaces only its two public methods that run a program:
``pipe()``, which Jupyter's display goes through, and ``render()``, which ``view()`` goes through. Both
hand the source to :func:`render_source`, the one place a renderer runs.
"""
from __future__ import annotations

import codecs
import contextlib
import ctypes
import html
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import typing
from collections.abc import Callable, Collection
from typing import Any

import graphviz

from .. import checks

__all__ = ['Digraph', 'NoRendererError', 'RenderError', 'available_renderer', 'check_format', 'choose_renderer',
           'find_graphviz_pure', 'render_source']

PURE = 'graphviz-pure'
DOT = 'dot'
PREFERENCE = 'MICROGRAD_PLUS_RENDERER'  # environment variable: 'dot' to prefer your own Graphviz

# What graphviz-pure 0.2 makes (`graphviz-pure -T?`; pdf and ps are not ported yet). pyproject pins 0.2.x
# and a test compares this list with the installed program's.
PURE_FORMATS = frozenset({'canon', 'dot', 'dot_json', 'gv', 'jpe', 'jpeg', 'jpg', 'json', 'json0', 'plain',
                          'plain-ext', 'png', 'svg', 'xdot', 'xdot1.2', 'xdot1.4', 'xdot_json'})

INSTALL_HINT = ("pip install 'graphviz-pure>=0.2.2,<0.3' (micrograd_plus installs it where it has wheels: "
                'Linux x86_64/aarch64, macOS, Windows 64-bit), or install Graphviz itself '
                '(https://graphviz.org/download/ : apt install graphviz, brew install graphviz, '
                'conda install graphviz, winget install graphviz)')


class NoRendererError(graphviz.ExecutableNotFound):
    """No program on this machine makes the format asked for: neither graphviz-pure nor Graphviz's ``dot``.

    A subclass of graphviz.ExecutableNotFound, so code written for graphviz catches it as before.
    """

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


class RenderError(graphviz.CalledProcessError):
    """The renderer ran and refused the source (a syntax error, a crash): its own words, on one line.

    A subclass of graphviz.CalledProcessError (so of subprocess.CalledProcessError), as graphviz raises.
    """

    def __init__(self, program: str, cmd: list[str], returncode: int, stderr: bytes) -> None:
        super().__init__(returncode, cmd, stderr=stderr)
        self.program = program

    def __str__(self) -> str:
        lines = self.stderr.decode('utf-8', 'replace').splitlines()
        said = '; '.join(line.strip() for line in lines if line.strip()) or 'it printed no message'
        return (f'{self.program} could not render this graph (exit status {self.returncode}): {said}. '
                'Look at the DOT source with print(graph.source).')


def find_graphviz_pure() -> str | None:
    """Full path of the ``graphviz-pure`` program, or None.

    pip puts it in the scripts directory of the environment it installs into, which need not be on
    PATH (a venv used without activating it, a Jupyter kernel, ``pip install --user``). So look next to
    this Python first, then in its scripts directories, then on PATH; ``shutil.which`` adds Windows'
    ``.exe``. The copy installed with this Python comes first: it is the version pyproject pins.
    """
    places = [os.path.dirname(sys.executable), sysconfig.get_path('scripts')]
    with contextlib.suppress(KeyError):  # a Python built without a user scheme
        places.append(sysconfig.get_path('scripts', sysconfig.get_preferred_scheme('user')))
    for place in dict.fromkeys(places):
        found = shutil.which(PURE, path=place)
        if found:
            return found
    return shutil.which(PURE)


def dot_on_path() -> str | None:
    """Full path of Graphviz's ``dot`` program, or None. Looked up on every call: PATH may change."""
    return shutil.which(DOT)


def choose_renderer(format: str = 'svg') -> tuple[str, str]:
    """``(name, path)`` of the program that makes ``format``: ``'graphviz-pure'`` or ``'dot'``.

    graphviz-pure wins for the formats it makes, even where Graphviz is installed: it draws the same
    picture, byte for byte, on every machine (fonts bundled, version pinned by micrograd_plus), so a
    class sees what its teacher sees and what the tests check; a system ``dot`` varies with its
    version, fonts and plugins. ``dot`` makes the rest (PDF, PostScript...). Who wants their own Graphviz
    everywhere sets the environment variable MICROGRAD_PLUS_RENDERER=dot; graphviz-pure stays the
    fallback. Raises NoRendererError, saying what can be made and what to install, when neither can.
    """
    checks.text('the format', format)
    preference = os.environ.get(PREFERENCE, PURE)
    if preference not in (PURE, DOT):
        raise ValueError(f"{PREFERENCE}={preference!r}: set it to 'dot' (your Graphviz first) or "
                         f"'{PURE}' (the default), or unset it")
    pure, dot = find_graphviz_pure(), dot_on_path()
    programs = [(PURE, pure)] if pure and format.lower() in PURE_FORMATS else []
    if dot:
        programs.insert(0 if preference == DOT else len(programs), (DOT, dot))
    if not programs:
        raise NoRendererError(_cannot_make(format, pure_installed=pure is not None))
    return programs[0]


def _cannot_make(format: str, pure_installed: bool) -> str:
    if not pure_installed:
        return (f"Cannot render format {format!r}: graphviz-pure (which micrograd_plus installs) is not found "
                f"next to this Python ({sys.executable}) nor on PATH, and neither is Graphviz's `dot`. "
                f'Install one of them: {INSTALL_HINT}.')
    return (f"Cannot render format {format!r}: graphviz-pure makes svg, png and jpeg pictures and Graphviz's text "
            f"formats (dot, json, plain, xdot...), and Graphviz's `dot` program, which makes {format!r}, is not on "
            "PATH. Use format='svg' or 'png', "
            'or install Graphviz (https://graphviz.org/download/ : apt install graphviz, brew install graphviz, '
            'conda install graphviz, winget install graphviz).')


def available_renderer(format: str = 'svg') -> str | None:
    """The program that would make ``format`` here (``'graphviz-pure'`` or ``'dot'``), or None."""
    try:
        return choose_renderer(format)[0]
    except NoRendererError:
        return None


def render_source(source: str, format: str = 'svg', engine: str = 'dot', *, renderer: str | None = None,
                  formatter: str | None = None, neato_no_op: bool | int | None = None, quiet: bool = False,
                  encoding: str = 'utf-8', cwd: str | os.PathLike[str] | None = None) -> bytes:
    """The picture of DOT ``source`` in ``format``, made by the program :func:`choose_renderer` picks.

    The source goes in on stdin and the picture comes out on stdout, as with ``dot``, so nothing
    touches the disk. No timeout (a big graph may take a while), but no zombie either:
    ``subprocess.run`` kills and reaps the program if we are interrupted, and on Linux the kernel ends
    it if we are killed (a notebook kernel that dies mid-render leaves no layout running for minutes).
    A failure raises RenderError with the program's message; warnings (exit status 0) go to stderr unless
    ``quiet``, as in graphviz.
    """
    checks.text('render_source(source), the DOT text,', source)
    format, engine = _checked(format, renderer, formatter, engine)
    neato_no_op, quiet = _neato_no_op(neato_no_op), checks.flag('quiet', quiet)
    _encoding(encoding)
    if cwd is not None:
        checks.path('render_source(cwd=...)', cwd)
    name, program = choose_renderer(format)
    output = ':'.join(part for part in (format, renderer, formatter) if part)
    cmd = [program, f'-K{engine}', f'-T{output}'] + ([f'-n{int(neato_no_op)}'] if neato_no_op else [])
    done = subprocess.run(cmd, input=source.encode(encoding), capture_output=True, cwd=cwd, check=False,
                          creationflags=getattr(subprocess, 'CREATE_NO_WINDOW', 0),  # no console flash on Windows
                          preexec_fn=_ends_with_its_caller())
    if done.returncode != 0:
        raise RenderError(name, cmd, done.returncode, done.stderr)
    if done.stderr and not quiet:
        sys.stderr.write(done.stderr.decode('utf-8', 'replace'))
    return done.stdout


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when the thread that started it ends


def _ends_with_its_caller() -> Callable[[], None] | None:
    """For subprocess's ``preexec_fn`` on Linux: the child asks the kernel for SIGKILL when its parent dies
    (prctl PR_SET_PDEATHSIG), and ends at once if the parent is already gone. None elsewhere."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_the_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request: nobody would end us
            os._exit(1)
    return in_the_child


def fit_to_width(svg: str) -> str:
    """An SVG that a notebook cell shows whole: as wide as the cell at most (never wider than its own size),
    its height following from its viewBox, instead of a 3,000-point drawing cut off at the cell's edge."""
    tag = re.search(r'<svg\b[^>]*>', svg)
    width = re.search(r'\swidth="([^"]+)"', tag.group()) if tag else None
    if tag is None or width is None or 'viewBox=' not in tag.group():
        return svg
    fitted = re.sub(r'\s(?:width|height)="[^"]*"', '', tag.group())
    fitted = fitted.replace('<svg', f'<svg width="100%" style="max-width: {html.escape(width.group(1))}; '
                                   'height: auto"', 1)
    return svg[:tag.start()] + fitted + svg[tag.end():]


class Digraph(graphviz.Digraph):
    """graphviz.Digraph whose pictures come from :func:`render_source`: graphviz-pure, or ``dot``.

    ``pipe()`` and ``render()`` take graphviz's arguments and return what graphviz's return; ``view()``
    and the Jupyter display (``_repr_mimebundle_``) are graphviz's own and go through them.
    """

    def _repr_svg_(self) -> str:
        """For front ends that ask for SVG directly rather than a mime bundle: scaled to the cell's width."""
        return fit_to_width(typing.cast(str, self.pipe(format='svg', encoding='utf-8')))

    def _repr_image_svg_xml(self) -> str:
        """The notebook's picture (graphviz's mime bundle asks for it): scaled to the cell's width."""
        return self._repr_svg_()

    def pipe(self, format: str | None = None, renderer: str | None = None, formatter: str | None = None,
             neato_no_op: bool | int | None = None, quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None) -> bytes | str:
        """The picture as bytes, or as text when ``encoding`` is given (graphviz.Digraph.pipe's promise)."""
        format, engine = _checked(self.format if format is None else format, renderer, formatter,
                                  self.engine if engine is None else engine)
        if encoding is not None:
            _encoding(encoding)
        picture = render_source(self.source, format, engine, renderer=renderer, formatter=formatter,
                                neato_no_op=neato_no_op, quiet=quiet, encoding=self.encoding)
        return picture if encoding is None else picture.decode(encoding)

    def render(self, filename: str | os.PathLike[str] | None = None,
               directory: str | os.PathLike[str] | None = None, view: bool = False, cleanup: bool = False,
               format: str | None = None, renderer: str | None = None, formatter: str | None = None,
               neato_no_op: bool | int | None = None, quiet: bool = False, quiet_view: bool = False, *,
               outfile: str | os.PathLike[str] | None = None, engine: str | None = None,
               raise_if_result_exists: bool = False, overwrite_source: bool = False) -> str:
        """Save the DOT source and its picture; graphviz.Digraph.render's arguments, file names and result.

        Unlike graphviz's, a failure leaves no file behind: a format no renderer here makes is refused
        before anything is written, and the saved source is removed again if the renderer refuses it.
        """
        for name, given in (('filename', filename), ('directory', directory), ('outfile', outfile)):
            if given is not None:
                checks.path(f'render({name}=...)', given)
        cleanup, view, quiet_view = (checks.flag(f'render({name}=...)', given) for name, given in
                                     (('cleanup', cleanup), ('view', view), ('quiet_view', quiet_view)))
        raise_if_result_exists = checks.flag('render(raise_if_result_exists=...)', raise_if_result_exists)
        overwrite_source = checks.flag('render(overwrite_source=...)', overwrite_source)
        if raise_if_result_exists and overwrite_source:
            raise ValueError('overwrite_source cannot be combined with raise_if_result_exists')
        if outfile is not None:
            outfile = pathlib.Path(outfile)
            format = format or _format_of(outfile)
            outfile = outfile if directory is not None else pathlib.Path(self.directory, outfile)
            filename = filename if filename is not None else outfile.with_suffix('.gv')
        format, engine = _checked(self.format if format is None else format, renderer, formatter,
                                  self.engine if engine is None else engine)
        choose_renderer(format)  # a format nothing here makes fails before any file is written
        source_path = pathlib.Path(self.directory if directory is None else directory,
                                   self.filename if filename is None else filename)  # where save() writes
        if outfile is None:
            suffix = '.'.join(part for part in (formatter, renderer, format) if part)
            outfile = source_path.with_name(f'{source_path.name}.{suffix}')
        elif not overwrite_source and outfile.resolve() == source_path.resolve():
            raise ValueError(f'outfile {outfile.name!r} must be different from the source file '
                             f'{source_path.name!r} (pass overwrite_source=True to override)')
        if raise_if_result_exists and outfile.exists():
            raise graphviz.FileExistsError(f'output file exists: {os.fspath(outfile)!r}')

        saved = self.save(filename, directory=directory)
        try:
            picture = render_source(self.source, format, engine, renderer=renderer, formatter=formatter,
                                    neato_no_op=neato_no_op, quiet=quiet, encoding=self.encoding,
                                    cwd=os.path.dirname(saved) or None)  # relative image paths, as with dot
            outfile.write_bytes(picture)
        except BaseException:
            os.remove(saved)
            raise
        if cleanup:
            os.remove(saved)
        if view or quiet_view:
            graphviz.view(outfile, quiet=quiet_view)
        return os.fspath(outfile)


def check_format(what: str, format: Any) -> str:
    """``format`` lowercased if Graphviz has an output format of that name (``'svg'``, ``'png'``, ``'pdf'``...),
    else a TypeError or ValueError, worded as graphviz words it. Whether a program here makes it is
    choose_renderer's question, asked when the picture is made."""
    return _known('format', format, graphviz.FORMATS, what)


def _known(kind: str, value: Any, known: Collection[str], what: str) -> str:
    if value is None and kind in ('format', 'engine'):
        raise TypeError(f"{what} must be text, like {'svg' if kind == 'format' else 'dot'!r}, got None")
    if not isinstance(value, str):
        raise TypeError(f'{what} must be text (one of {sorted(known)}), got {checks.shown(value)}')
    if value.lower() not in known:
        raise ValueError(f'unknown {kind}: {value!r} (must be one of {sorted(known)})')
    return value.lower()


def _checked(format: str, renderer: str | None, formatter: str | None, engine: str) -> tuple[str, str]:
    """``(format, engine)`` lowercased, after the checks graphviz.Digraph.pipe makes, with its errors."""
    format = check_format('the format', format)
    engine = _known('engine', engine, graphviz.ENGINES, 'the engine')
    for kind, value, known in (('renderer', renderer, graphviz.RENDERERS),
                               ('formatter', formatter, graphviz.FORMATTERS)):
        if value is not None:
            _known(kind, value, known, f'the {kind}')
    if formatter is not None and renderer is None:
        raise graphviz.RequiredArgumentError(f'formatter given without renderer: {formatter!r}')
    return format, engine


def _neato_no_op(value: bool | int | None) -> int | None:
    """graphviz's neato_no_op: None, a bool, or Graphviz's -n level 0, 1 or 2."""
    if value is None or value is True or value is False:
        return value
    return checks.count('neato_no_op (None, True, False or 0, 1, 2)', value, at_least=0, at_most=2)


def _encoding(encoding: str) -> str:
    """A text encoding Python knows, like 'utf-8'."""
    checks.text('the encoding', encoding)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}: use one Python knows, like 'utf-8'") from None
    return encoding


def _format_of(outfile: pathlib.Path) -> str:
    """The format an output file's suffix names (``x.png`` -> ``'png'``), as graphviz infers it."""
    format = outfile.suffix[1:].lower()
    if format not in graphviz.FORMATS:
        raise graphviz.RequiredArgumentError(f'cannot infer rendering format from suffix {outfile.suffix!r} of '
                                             f'outfile {os.fspath(outfile)!r}: pass format=, or an outfile ending '
                                             "in '.svg', '.png', ...")
    return format
