"""``regie serve --processes N``: N waitress workers share one port; stopping the parent stops them all."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REGIE = Path(sys.executable).parent / "regie"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not REGIE.exists() or not Path("/proc").exists(), reason="needs the regie script and /proc")
def test_several_processes_serve_one_port_and_stop_together(tmp_path):
    port = free_port()
    env = {**os.environ, "REGIE_DATABASE_URL": f"sqlite:///{tmp_path / 'regie.db'}", "REGIE_SECRET_KEY": "t"}
    server = subprocess.Popen([str(REGIE), "serve", "--processes", "2", "--threads", "2", "--no-scheduler",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        statuses = []
        for _ in range(600):                 # up to a minute for the workers to build their apps
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/login")
                response = conn.getresponse()
                response.read()
                conn.close()
                statuses.append(response.status)
                if len(statuses) == 6:
                    break
            except OSError:
                time.sleep(0.1)
        assert statuses == [200] * 6
        workers = children(server.pid)
        assert len(workers) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists()
