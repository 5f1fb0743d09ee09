"""A varnishd of our own in front of an app server, with the shipped VCL
(scripts/deploy/varnish.vcl) pointed at it: for tests/test_varnish.py and the benchmark's
row through Varnish (scripts/bench.py)."""

import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VCL = Path(__file__).resolve().parent / "deploy" / "varnish.vcl"
VMOD_DIRS = (
    "/usr/lib/x86_64-linux-gnu/varnish/vmods",
    "/usr/lib/aarch64-linux-gnu/varnish/vmods",
    "/usr/lib/varnish/vmods",
    "/usr/local/lib/varnish/vmods",
)


def varnishd():
    return shutil.which("varnishd") or next(
        (p for p in ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd") if Path(p).exists()), None
    )


def missing():
    """Why Varnish cannot be started here, or None."""
    if varnishd() is None:
        return "needs varnishd (apt install varnish varnish-modules)"
    if not any(Path(d, "libvmod_xkey.so").exists() for d in VMOD_DIRS):
        return "needs vmod xkey (apt install varnish-modules)"
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vcl_for(backend_port, backend_host="127.0.0.1"):
    """The shipped VCL with its backend pointed at `backend_host:backend_port`."""
    text = VCL.read_text()
    text = re.sub(r'\.host = "[^"]*";', f'.host = "{backend_host}";', text, count=1)
    return re.sub(r'\.port = "[^"]*";', f'.port = "{backend_port}";', text, count=1)


class Varnish:
    """varnishd in the foreground on a free loopback port, its state in a temporary
    directory (-n), no jail (-j none: as root it would otherwise switch users)."""

    def __init__(self, backend_port):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = tempfile.mkdtemp(prefix="varnish-")
        self.vcl = Path(self.workdir, "site.vcl")
        self.vcl.write_text(vcl_for(backend_port))
        self.process = None

    def start(self, timeout=20):
        self.process = subprocess.Popen(  # noqa: S603 (our own varnishd, fixed arguments)
            [
                varnishd(),
                "-F",
                "-j",
                "none",
                "-n",
                self.workdir,
                "-f",
                str(self.vcl),
                "-a",
                f"127.0.0.1:{self.port}",
                "-s",
                "malloc,64m",
                "-T",
                "none",
                "-p",
                "thread_pools=1",
                "-p",
                "thread_pool_min=5",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    error = (
                        self.process.stderr.read().decode()[-800:] if self.process.poll() else ""
                    )
                    self.stop()
                    raise RuntimeError(f"varnishd did not start: {error}") from None
                time.sleep(0.1)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
