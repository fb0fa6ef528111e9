"""Saving parameters to a JSON file and reading them back: every float exact, writes atomic, errors clear.

The file is ``{"format": "micrograd_plus.parameters", "version": 1, "model": repr, "parameters": {...}}``
with the parameters by dotted name. JSON has no nan or inf: they are written as the strings "nan",
"inf", "-inf"; every finite float is written by repr, which Python reads back to the identical float.
"""
from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import pathlib
import secrets
import stat
import time
from collections.abc import Mapping
from typing import Any

from . import checks
from .checks import as_number

FILE_FORMAT = 'micrograd_plus.parameters'
FILE_VERSION = 1


class ParameterFileError(ValueError):
    """A parameter file that is corrupt or does not match the model; the model was left untouched."""


def document(model: str, state: Mapping[str, float]) -> str:
    """The text of a parameter file for ``state``, saved from the model whose repr is ``model``."""
    checks.text('document(model), the repr of the model,', model)
    if not isinstance(state, Mapping) or not all(isinstance(name, str) for name in state):
        raise TypeError(f'document(state) takes a state dict, names to numbers (model.state_dict()), '
                        f'got {checks.shown(state)}')
    content = {'format': FILE_FORMAT, 'version': FILE_VERSION, 'model': model,
               'parameters': {name: encode(value) for name, value in state.items()}}
    return json.dumps(content, indent=1, allow_nan=False) + '\n'


def checked_values(names: list[str], state: Any) -> list[float]:
    """The values in ``state`` for ``names``, in that order, or a ValueError naming every problem."""
    names = checks.listed('checked_values(names)', names, 'a list of parameter names')
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f'checked_values(names) must be a list of parameter names (text), got {checks.shown(names)}')
    if not isinstance(state, Mapping):
        raise ValueError(f'a state dict maps parameter names to numbers, got {type(state).__name__}')
    wanted = set(names)  # once: checking each key against a list was quadratic (67k parameters took 98 s)
    missing = [n for n in names if n not in state]
    unexpected = [n for n in state if n not in wanted]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f'missing {len(missing)} parameter(s): {_some(missing)}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected parameter(s): {_some(unexpected)}')
        raise ValueError(f"The parameter names do not match ({'; '.join(parts)}). "
                         'Build the model with the same architecture as the one that was saved.')
    values = []
    for name in names:
        value = state[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f'parameter {name!r} must be a number, got {type(value).__name__} {value!r}')
        try:
            values.append(float(value))
        except OverflowError:
            bits = int(value).bit_length()
            raise ValueError(f'parameter {name!r} is a {bits}-bit integer, too large for a float') from None
    return values


def _some(names: list[str], limit: int = 3) -> str:
    shown = ', '.join(repr(shortened(n, 60)) for n in names[:limit])
    return shown + (f', ... ({len(names) - limit} more)' if len(names) > limit else '')


def shortened(text: str, limit: int = 100) -> str:
    """``text`` cut to ``limit`` characters with '...' (a model's repr can run to thousands)."""
    checks.text('shortened(text)', text)
    limit = checks.count('shortened(limit)', limit, at_least=3, at_most=None)
    text = ' '.join(text.split())  # a Sequential's repr runs over lines
    return text if len(text) <= limit else text[:limit - 3] + '...'


_NON_FINITE = {'nan': math.nan, 'inf': math.inf, '-inf': -math.inf}


class _NotANumberToken(ValueError):
    pass


def _no_bare_constant(token: str) -> float:
    """JSON has no NaN or Infinity: save() writes them as the strings "nan", "inf", "-inf"."""
    written = {'NaN': 'nan', 'Infinity': 'inf', '-Infinity': '-inf'}.get(token, token)
    raise _NotANumberToken(f'it holds the bare token {token}, which is not JSON (save() writes it as "{written}")')


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NotANumberToken(f'it holds the number {shortened(token, 40)}, too large for a float')
    return value


def encode(x: float) -> float | str:
    x = as_number(x)  # a numpy scalar or a huge int put into .data by hand is written as a float
    return x if math.isfinite(x) else repr(x)


def decode(x: Any) -> Any:
    return _NON_FINITE.get(x, x) if isinstance(x, str) else x


def write_atomically(path: pathlib.Path, text: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    A symlink is followed (the link stays, its target gets the new text), except where the kernel's
    ``fs.protected_symlinks`` rule would not follow it: another user's link in a world-writable sticky folder
    such as /tmp (PermissionError). The new file gets the old one's permissions, set before any data goes in,
    or the usual ones (0o666 less the umask) like open(). A target that is not a regular file (a device such as
    /dev/null, a FIFO) is written into as open() writes, never renamed over.
    """
    given = checks.path('write_atomically(path)', path)
    checks.text('write_atomically(text)', text)
    _check_links(given)
    path = pathlib.Path(os.path.realpath(given))
    if path.exists() and not path.is_dir() and not path.is_file():  # a device or a FIFO: it stays what it is
        with open(path, 'w', encoding='utf-8') as device:
            device.write(text)
        return
    directory = path.parent
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f'cannot save to {path}: it is a folder; give a file name such '
                                f'as {path / "model.json"}', str(path))
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f'cannot save {path.name}: {directory} is a file, not a folder',
                                 str(directory))
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f'cannot save {path.name}: the folder {directory} does not exist',
                                str(directory))
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    _remove_stale_temporaries(path)
    temporary = directory / f'{_temporary_prefix(path)}{os.getpid()}.{secrets.token_hex(4)}.tmp'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as file:
            if mode is not None:
                os.chmod(temporary, mode)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.chmod(temporary, 0o600)  # Windows cannot delete a read-only file
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX only; harmless to skip elsewhere)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _check_links(path: pathlib.Path) -> None:
    """PermissionError if resolving ``path`` follows a symlink the kernel's ``fs.protected_symlinks`` rule
    (on by default in Linux distributions) would not: one in a world-writable sticky folder (/tmp), owned by
    neither us nor the folder's owner. Such a link may be planted by another user to make us overwrite a file
    of ours; writing through it is what the rule exists to stop."""
    if os.name != 'posix':
        return
    pending = list(reversed(pathlib.Path(os.path.abspath(path)).parts))
    current = pathlib.Path(pending.pop())  # the root
    for _ in range(256):  # links to links: the kernel gives up after 40 (ELOOP), open() will say so
        if not pending:
            return
        part = pending.pop()
        candidate = current.parent if part == '..' else current / part
        try:
            info = os.lstat(candidate)
        except OSError:  # not there (yet): nothing below it to follow
            return
        if not stat.S_ISLNK(info.st_mode):
            current = candidate
            continue
        folder = os.stat(current)
        sticky_shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
        if sticky_shared and info.st_uid not in (os.geteuid(), folder.st_uid):
            raise PermissionError(errno.EACCES, f'cannot save through {candidate}: it is a symbolic link owned by '
                                  f'another user (uid {info.st_uid}) in the world-writable sticky folder '
                                  f'{current}, which the kernel would not follow either (fs.protected_symlinks). '
                                  'Save to a path of your own, or remove the link', str(candidate))
        target = pathlib.Path(os.readlink(candidate))
        if target.is_absolute():
            current = pathlib.Path(target.anchor)
        pending.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))


def _temporary_prefix(path: pathlib.Path) -> str:
    """The start of a temporary file's name for ``path``: fixed-length (a 255-character file name still
    saves) and the same on every save to that path (so a save can find the leftovers of a killed one)."""
    return f'.mgp-{hashlib.sha256(path.name.encode("utf-8", "surrogatepass")).hexdigest()[:16]}.'


STALE_AFTER = 3600.0  # seconds: an older temporary of ours is a leftover even where we cannot ask for its writer


def _remove_stale_temporaries(path: pathlib.Path) -> None:
    """Delete temporaries of earlier saves to ``path`` whose writer is gone (a killed save leaves one)."""
    prefix = _temporary_prefix(path)
    try:
        leftovers = [entry for entry in os.scandir(path.parent) if entry.name.startswith(prefix)]
    except OSError:
        return
    for entry in leftovers:
        pid = entry.name[len(prefix):].split('.', 1)[0]
        try:
            if _writer_gone(int(pid)) or time.time() - entry.stat().st_mtime > STALE_AFTER:
                os.unlink(entry.path)
        except (OSError, ValueError):
            pass  # another process removed it, or it is not ours after all


def _writer_gone(pid: int) -> bool:
    if os.name != 'posix' or pid == os.getpid():
        return False  # Windows' os.kill(pid, 0) would end the process; our own pid may be a save in a thread
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by someone else
        return False
    return False


MAX_FILE_BYTES = 1 << 30  # 1 GiB: about 40 million parameters, more than a scalar engine can hold


def printable(text: str) -> str:
    """``text`` with every character that is not printable (terminal escapes, control characters, line breaks)
    written as its Python escape (``\\x1b``), so text from a file can be shown in a message safely."""
    checks.text('printable(text)', text)
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _DuplicateName(ValueError):
    pass


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a name given twice (RFC 8259 section 4: names should be unique;
    json keeps the last one silently, so one of two values for a parameter would be lost unseen)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        name = next(name for name, _ in pairs if name in seen or seen.add(name))  # type: ignore[func-returns-value]
        raise _DuplicateName(f'it gives the name {printable(repr(name))} more than once in one object (JSON names '
                             'should be unique, RFC 8259 section 4), so which value is meant is unclear')
    return document


def read_parameter_file(path: pathlib.Path) -> dict[str, Any]:
    """The checked contents of a parameter file (parameters decoded to floats), or ParameterFileError."""
    path = checks.path('read_parameter_file(path)', path)

    def fail(problem: str) -> ParameterFileError:
        return ParameterFileError(f'{path} is not a usable micrograd_plus parameter file: {problem}. '
                                  'Save the model again with model.save(path).')
    if path.exists() and not path.is_file():  # a FIFO would hang the read, /dev/zero would fill memory
        raise fail('it is not a regular file' if not path.is_dir() else 'it is a folder')
    with open(path, 'rb') as file:
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f'it is larger than {MAX_FILE_BYTES >> 20:,} MiB')
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise fail('it is not UTF-8 text') from None
    try:
        document = json.loads(text, parse_constant=_no_bare_constant, parse_float=_finite_float,
                              object_pairs_hook=_unique_names)
    except (_NotANumberToken, _DuplicateName) as error:
        raise fail(str(error)) from None
    except json.JSONDecodeError as error:
        where = 'it is empty' if not text.strip() else f'its JSON is corrupt or cut off ({error})'
        raise fail(where) from None
    except (ValueError, RecursionError) as error:  # a number of 5,000 digits, brackets nested 100,000 deep
        raise fail(f'its JSON cannot be read ({str(error).splitlines()[0]})') from None
    if not isinstance(document, dict) or document.get('format') != FILE_FORMAT:
        raise fail(f"it has no \"format\": \"{FILE_FORMAT}\" field")
    if document.get('version') != FILE_VERSION:
        raise fail(f"its version is {printable(repr(document.get('version')))}; this micrograd_plus reads version "
                   f'{FILE_VERSION}')
    parameters = document.get('parameters')
    if not isinstance(parameters, dict):
        raise fail('its "parameters" field is missing or not an object')
    model = document.get('model', 'an unknown model')
    if not isinstance(model, str):
        raise fail(f'its "model" field, the repr of the model it was saved from, is {type(model).__name__}, not text')
    return {'model': printable(model),  # echoed into messages: no terminal escapes from a file reach a terminal
            'parameters': {name: decode(value) for name, value in parameters.items()}}
