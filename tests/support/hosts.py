"""Separate hosts on one machine: network namespaces, each joined to a bridge by its own veth link.

A host has its own interfaces, addresses and routes, so what listens on one is reachable from the
others only over the links, and taking a host's link down cuts it off as a pulled cable would. The
test process takes part as the "control" host (a veth from the root namespace to the bridge).
Linux only, as root; `available()` says why not otherwise.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path


def available() -> str | None:
    """None when hosts can be built here; otherwise why not."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    probe = f"drip-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` fails here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str, ns: str | None = None) -> None:
    argv = ["ip", *(["-n", ns] if ns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


class Host:
    """One network namespace with one link (eth0) to the bridge, and the processes started in it."""

    def __init__(self, network: "Network", name: str, index: int):
        self.network, self.name = network, name
        self.ns = f"{network.prefix}-{name}"
        self.ip = f"{network.subnet}.{index}"
        self.processes: list[subprocess.Popen] = []
        outside = f"{network.tag}{index}"  # interface names are at most 15 characters
        _ip("netns", "add", self.ns)
        _ip("link", "add", "eth0", "netns", self.ns, "type", "veth", "peer", "name", outside, "netns", network.ns)
        _ip("addr", "add", f"{self.ip}/24", "dev", "eth0", ns=self.ns)
        _ip("link", "set", "lo", "up", ns=self.ns)
        _ip("link", "set", "eth0", "up", ns=self.ns)
        _ip("link", "set", outside, "master", "br0", "up", ns=network.ns)

    def start(
        self, argv: list[str], *, env: dict[str, str], log: str, cwd: Path | None = None, user: str | None = None
    ) -> subprocess.Popen:
        """Start a process inside this host (as `user` if given), its output in the network's folder."""
        prefix = ["ip", "netns", "exec", self.ns] + (["runuser", "-u", user, "--"] if user else [])
        with (self.network.folder / f"{self.name}-{log}.log").open("ab") as out:
            process = subprocess.Popen(
                prefix + argv,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def cut(self) -> None:
        """Take the link down: nothing gets in or out until restore()."""
        _ip("link", "set", "eth0", "down", ns=self.ns)

    def restore(self) -> None:
        """Bring the link back up (its address and route come back with it)."""
        _ip("link", "set", "eth0", "up", ns=self.ns)

    def stop(self, process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Signal one process's group, and kill it if it outlives the timeout."""
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
            except ProcessLookupError:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group (RQ's scheduler child)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        """Stop every process started here."""
        for process in reversed(self.processes):
            self.stop(process)


def _free_subnet(pid: int) -> str:
    """A 10.213.N /24 that no interface of the root namespace has an address in, starting from the pid's."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    used = set(re.findall(r"inet 10\.213\.(\d+)\.", shown))
    for step in range(250):
        n = (pid + step) % 250 + 1
        if str(n) not in used:
            return f"10.213.{n}"
    raise RuntimeError("every 10.213.N subnet is in use")


class Network:
    """A bridge in its own namespace, the hosts linked to it, and the control host (this process)."""

    def __init__(self):
        pid = os.getpid()
        self.prefix, self.tag = f"drip{pid}", f"dr{pid % 100000}x"
        self.ns = f"{self.prefix}-net"
        self.folder = Path(tempfile.mkdtemp(prefix="drip-fleet-"))
        self.hosts: list[Host] = []
        _ip("netns", "add", self.ns)
        _ip("link", "add", "br0", "type", "bridge", ns=self.ns)
        _ip("link", "set", "br0", "up", ns=self.ns)
        control = f"{self.tag}c"
        _ip("link", "add", control, "type", "veth", "peer", "name", f"{self.tag}C", "netns", self.ns)
        # Two runs at once (CI's two halves, another checkout's suite) must not route the same subnet
        # from the root namespace: pick one no interface has, and claim it, under a machine-wide lock.
        with open(Path(tempfile.gettempdir()) / "drip-fleet-subnets.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.subnet = _free_subnet(pid)
            self.control_ip = f"{self.subnet}.1"
            _ip("addr", "add", f"{self.control_ip}/24", "dev", control)
        _ip("link", "set", control, "up")
        _ip("link", "set", f"{self.tag}C", "master", "br0", "up", ns=self.ns)

    def host(self, name: str) -> Host:
        """A new host on the bridge, with the next address."""
        host = Host(self, name, 10 + len(self.hosts))
        self.hosts.append(host)
        return host

    def close(self) -> None:
        """Stop every process, delete every namespace (their links go with them)."""
        for host in self.hosts:
            host.stop_all()
        for ns in [host.ns for host in self.hosts] + [self.ns]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", f"{self.tag}c"], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def logs(self, chars: int = 3000) -> str:
        """The end of every process's log."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}" for p in sorted(self.folder.glob("*.log"))
        )

    def __enter__(self) -> "Network":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_until(condition, seconds: float, what: str, network: Network | None = None, interval: float = 0.2):
    """Poll `condition` until truthy; AssertionError with the hosts' logs at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {seconds:.0f} s\n" + (network.logs() if network else ""))
        time.sleep(interval)
