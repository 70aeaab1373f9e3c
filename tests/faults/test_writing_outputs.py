"""How outputs are written (telecnn.atomic): a signal while writing leaves no temp file and ends
in one line naming what was kept; a replaced file keeps its mode; a FIFO or a device is written
into, never replaced; a link's target is replaced, the link kept."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from telecnn.atomic import atomic_path, remove_unfinished, write_text

#: ``telecnn ARGS`` whose CSV writer writes a little, then gets the signal ``argv[1]`` and
#: would take 30 s more: the signal always lands mid-write.
SLOW_WRITER = """
import os, sys, time
import pandas as pd

def slow(self, path, *args, **kwargs):
    pd.DataFrame({"partial": [1, 2, 3]}).to_json(path)
    os.kill(os.getpid(), int(sys.argv[1]))
    time.sleep(30)

pd.DataFrame.to_csv = slow
from telecnn.cli.app import main
main(args=sys.argv[2:], prog_name="telecnn")
"""


def _default_signals() -> None:
    """In the child, before it starts: every signal these tests send at its default action, as
    in a terminal (a harness run in the background or under nohup ignores SIGINT or SIGHUP,
    and a process that inherits an ignored signal rightly leaves it ignored)."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_a_signal_while_writing_leaves_no_temp_file_and_one_line(
    sig, code, lap_files, tmp_path, one_line_exit
) -> None:
    out = tmp_path / "events.csv"
    out.write_text("the previous events\n")
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--detector", "rules")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", SLOW_WRITER, str(int(sig)), *args, "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=60, preexec_fn=_default_signals,
    )  # fmt: skip
    name = signal.Signals(sig).name
    one_line_exit(
        code,
        done,
        f"interrupted by {name} while writing {out} (nothing written; the previous file is "
        "unchanged)",
    )
    assert out.read_text() == "the previous events\n" and not _temp_files(tmp_path)


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python (a signal that went astray ends it, not the test run)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_default_signals,
    )


def test_a_signal_from_another_thread_mid_write_removes_the_temp_file(tmp_path) -> None:
    code = """
import os, signal, sys, threading
from pathlib import Path
from telecnn.atomic import atomic_path, write_text
from telecnn.errors import Interrupted
target = Path(sys.argv[1])
write_text(target, "old")
try:
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        threading.Event().wait(20)  # the handler raises here, in the main thread
except Interrupted as exc:
    print(exc, exc.exit_code, signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
"""
    done = _python(code, str(tmp_path / "out.txt"))
    assert done.stdout.strip() == (
        f"interrupted by SIGTERM while writing {tmp_path / 'out.txt'} (nothing written; the "
        "previous file is unchanged) 143 True"
    ), done.stderr
    assert (tmp_path / "out.txt").read_text() == "old" and not _temp_files(tmp_path)


def test_a_signal_during_the_rename_waits_for_it(tmp_path) -> None:
    code = """
import os, signal, sys
from telecnn.atomic import write_text
from telecnn.errors import Interrupted
real_replace = os.replace
def replace_then_signal(src, dst):
    os.kill(os.getpid(), signal.SIGINT)  # held: the rename finishes first
    real_replace(src, dst)
os.replace = replace_then_signal
try:
    write_text(sys.argv[1], "whole")
except Interrupted as exc:
    print(exc)
"""
    target = tmp_path / "out.txt"
    done = _python(code, str(target))
    assert done.stdout.strip() == f"interrupted by SIGINT after writing {target}", done.stderr
    assert target.read_text() == "whole" and not _temp_files(tmp_path)


def test_signals_someone_else_handles_are_left_to_them(tmp_path) -> None:
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with atomic_path(tmp_path / "ckpt.pt") as tmp:
            os.kill(os.getpid(), signal.SIGTERM)  # training's StopSignals: a request, no raise
            tmp.write_text("saved")
        assert seen == [signal.SIGTERM] and (tmp_path / "ckpt.pt").read_text() == "saved"
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_write_cut_short_where_it_cannot_clean_up_is_cleaned_by_the_cli(tmp_path) -> None:
    writing = atomic_path(tmp_path / "out.csv")
    tmp = writing.__enter__()  # as if a signal ended the process inside the block
    assert tmp.exists()
    assert remove_unfinished() == [tmp_path / "out.csv"] and not tmp.exists()


def test_a_replaced_file_keeps_its_mode(lap_files, tmp_path, telecnn) -> None:
    out = tmp_path / "events.csv"
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--detector", "rules")
    out.write_text("old")
    out.chmod(0o600)
    assert telecnn(*args, "--out", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text().startswith("event,")
    out.chmod(0o640)
    write_text(out, "again")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def _read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as stream:
            into.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_fifo_as_out_is_written_into_never_replaced(suffix, lap_files, tmp_path, telecnn) -> None:
    import io

    import pandas as pd

    fifo = tmp_path / f"events{suffix}"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--detector", "rules")
    done = telecnn(*args, "--out", str(fifo))
    reader.join(30)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "still a FIFO"
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    events = read(io.BytesIO(got[0]))
    assert len(events) > 10 and "start_time" in events
    assert sorted(p.name for p in tmp_path.iterdir()) == [fifo.name]


def test_a_character_device_as_out_stays_one(lap_files, tmp_path, telecnn) -> None:
    device = tmp_path / "null.csv"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here (not root)")
    args = ("detect-events", "--file", str(lap_files["LEC"]), "--detector", "rules")
    assert telecnn(*args, "--out", str(device)).returncode == 0
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    figure = tmp_path / "null.png"  # never /dev/null itself: a regression would replace it
    os.mknod(figure, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert telecnn(*args, "--plot", str(figure)).returncode == 0
    assert stat.S_ISCHR(os.lstat(figure).st_mode)


def test_a_link_as_out_keeps_the_link(tmp_path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_block_device_or_folder_is_refused(tmp_path) -> None:
    from telecnn.errors import TelecnnError

    with pytest.raises(TelecnnError, match="is a folder"):
        write_text(tmp_path, "x")
