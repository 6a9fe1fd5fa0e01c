"""Soak: many probe rounds against a responder that cycles through hostile modes, under
request load and graceful restarts.

The responder's URL leads to a loopback server of this test that, every SLOT seconds,
changes what it does with a connection: relays it to the real `openssl ocsp` responder
(good), to one that signs with the wrong key (wrong-signer), sends garbage, drips one
byte at a time, sends a huge body, resets the connection (refused) or holds it without
a word (black hole). mod_ssl's stapling cache times out after a few seconds, so mod_ssl
meets the modes too.

Asserted over the run:
  - no crash, no child killed (AH00052), the parent never exits;
  - every kept-alive request and every handshake of the load is answered, none waits
    on a probe (each within REQUEST_LIMIT seconds);
  - file descriptors and threads of the httpd processes stay flat (the largest child at
    the end within a small margin of the largest at the start), the parent's shared
    mappings are the same, nothing is left in /dev/shm or ipcs after the stop;
  - every state change of the responder is logged once: OA00022 (down) and OA00023
    (back) alternate, never twice in a row;
  - probe rounds kept ending.

Run:  /usr/bin/python3 -m pytest tests/integration/test_soak.py   (about two minutes)
"""

import os
import socket
import threading
import time


import httpd as H
import status_helpers as S
from test_production_safety import KeepAliveLoad

# A mode that makes the responder fail (drip, refused, blackhole) makes the module wait its
# retry interval (OcspAuditResponderInterval, at least 10 s) before it asks again, and
# probe without status_request meanwhile, as it should; with a round every 5 s the next
# question comes within 15 s, so each mode lasts longer than that.
SLOT = 16.0                # seconds per mode
DURATION = 7 * SLOT        # seconds of soak: every mode at least once
REQUEST_LIMIT = 10.0       # no request of the load may take longer
MODES = ("good", "wrong-signer", "garbage", "drip", "huge", "refused", "blackhole")


class HostileResponder(S.F.Managed):
    """127.0.0.1:port; what a connection gets depends on the mode of the moment."""

    def __init__(self, port, good_port, wrong_port):
        self.port, self.good_port, self.wrong_port = port, good_port, wrong_port
        self.t0 = time.monotonic()
        self.seen = {m: 0 for m in MODES}
        self._stop = threading.Event()
        self._sock = None
        self._threads = []

    def mode(self):
        return MODES[int((time.monotonic() - self.t0) / SLOT) % len(MODES)]

    def start(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((S.LOOPBACK, self.port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        t = threading.Thread(target=self._accept, daemon=True, name="oa-hostile")
        t.start()
        self._threads.append(t)
        S.F.register(self)
        return self

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self._sock.accept()
            except OSError:
                continue
            m = self.mode()
            self.seen[m] += 1
            t = threading.Thread(target=self._serve, args=(c, m), daemon=True)
            t.start()

    @staticmethod
    def _read_request(c):
        """The whole request: head and Content-Length bytes of body."""
        c.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            for ln in head.split(b"\r\n"):
                if ln.lower().startswith(b"content-length:"):
                    want = int(ln.split(b":")[1])
                    while len(body) < want:
                        chunk = c.recv(4096)
                        if not chunk:
                            break
                        body += chunk
            return head + sep + body
        except (OSError, ValueError):
            return data

    def _relay(self, c, port):
        req = self._read_request(c)
        with socket.create_connection((S.LOOPBACK, port), timeout=5) as up:
            up.sendall(req)
            up.settimeout(5)
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                c.sendall(chunk)

    def _serve(self, c, m):
        try:
            if m == "refused":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                return
            if m in ("good", "wrong-signer"):
                self._relay(c, self.good_port if m == "good" else self.wrong_port)
                return
            self._read_request(c)
            if m == "garbage":
                c.sendall(os.urandom(3000))
            elif m == "drip":
                for b in b"HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n":
                    if self._stop.wait(0.5):
                        break
                    c.sendall(bytes([b]))
            elif m == "huge":
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
                          b"Content-Length: 50000000\r\n\r\n")
                block = b"\x30" * 65536
                for _ in range(50000000 // 65536):
                    if self._stop.is_set():
                        break
                    c.sendall(block)
            elif m == "blackhole":
                self._stop.wait(30)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        if self._sock:
            self._sock.close()
        for t in self._threads:
            t.join(timeout=5)
        S.F.unregister(self)

    def alive(self):
        return any(t.is_alive() for t in self._threads)


def _counts(pids):
    """{pid: (open fds, threads)} for the live ones."""
    out = {}
    for pid in pids:
        try:
            out[pid] = (len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task")))
        except OSError:
            pass
    return out


def test_soak_hostile_responder(httpd_bin, workdir):
    S.require_module()
    hport, gport, wport = H.free_port(), H.free_port(), H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{hport}/")
    vhosts = [S.Vhost(f"v{i:02d}.test", pki.cert(("good", "muststaple")[i % 2]),
                      pki.key(("good", "muststaple")[i % 2])) for i in range(20)]
    extra = ["SSLStaplingStandardCacheTimeout 4", "SSLStaplingErrorCacheTimeout 4",
             "SSLStaplingReturnResponderErrors off"]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=5,
                  probe_timeout=2, stapling_timeout=2, responder_interval=10,
                  extra=extra).write()
    site.check()
    marker = str(site.conf)
    shm_before = S.shm_state()
    good = S.Responder(pki, gport)
    wrong = S.F.OcspResponder(pki.dir, wport, signer="other-int", start_timeout=30,
                              wait_free=True)
    with good, wrong, HostileResponder(hport, gport, wport) as hostile:
        inst = site.instance(workdir / "run")
        with inst:
            S.wait_first_round(site.http_port, timeout=60)
            time.sleep(2)
            parent = inst.pid
            maps_before = S.shared_mappings(parent)
            start = _counts(S.apache_processes(marker))
            keep = KeepAliveLoad(site.http_port, max_seconds=DURATION + 60).start()
            tls = S.LoadClient(site.http_port, site.https_port, [v.name for v in vhosts],
                               max_turns=10 ** 6, max_seconds=DURATION + 60, pause=0.1,
                               handshake_timeout=REQUEST_LIMIT).start()
            restarts, t_end, slow = 0, time.monotonic() + DURATION, []
            try:
                while time.monotonic() < t_end:
                    time.sleep(15)
                    r = S.graceful(inst)
                    assert r.returncode == 0, r.stdout + r.stderr
                    restarts += 1
                    assert inst.running(), inst.error_log_text()[-5000:]
                    t0 = time.monotonic()
                    a = S.get(site.http_port, S.STATUS_PATH + "?json", timeout=REQUEST_LIMIT)
                    if a.status != 200 or time.monotonic() - t0 > REQUEST_LIMIT:
                        slow.append(f"?json: HTTP {a.status} in {time.monotonic() - t0:.1f} s")
                time.sleep(12)      # two rounds after the last restart
            finally:
                keep.stop()
                tls.stop()
            end = _counts(S.apache_processes(marker))
            maps_after = S.shared_mappings(parent)
            log = inst.error_log_text()
            rounds = len(S.log_lines(log, "OA00026:"))
        S.wait_for(lambda: not S.apache_processes(marker), 15, 0.2)
    shm_after = S.shm_state()

    problems = list(slow)
    crashes = S.crash_lines(log)
    if crashes:
        problems.append("crash lines:\n  " + "\n  ".join(crashes[:10]))
    if keep.failures:
        problems.append(f"{len(keep.failures)} kept-alive requests failed: {keep.failures[:5]}")
    if tls.handshake_errors or tls.errors:
        problems.append(f"load: {len(tls.handshake_errors)} handshakes and {len(tls.errors)} "
                        f"?json failed: {(tls.handshake_errors + tls.errors)[:5]}")
    # flat: the largest child now against the largest child then
    kids = lambda c: [v for p, v in c.items() if p != parent] or [(0, 0)]
    fd0, th0 = max(v[0] for v in kids(start)), max(v[1] for v in kids(start))
    fd1, th1 = max(v[0] for v in kids(end)), max(v[1] for v in kids(end))
    if fd1 > fd0 + 8 or th1 > th0 + 2:
        problems.append(f"a child grew: fds {fd0} -> {fd1}, threads {th0} -> {th1}")
    if end.get(parent, (0, 0))[0] > start.get(parent, (0, 0))[0] + 2:
        problems.append(f"the parent's fds grew: {start.get(parent)} -> {end.get(parent)}")
    if maps_after != maps_before:
        problems.append(f"the parent's shared mappings changed: {len(maps_before)} -> "
                        f"{len(maps_after)}")
    if shm_after[0] - shm_before[0] or shm_after[1] - shm_before[1]:
        problems.append(f"shared memory left: {shm_after[0] - shm_before[0]} "
                        f"{shm_after[1] - shm_before[1]}")
    # each change of the responder logged once: down and back alternate
    events = [("down" if "OA00022:" in ln else "back")
              for ln in log.splitlines() if "OA00022:" in ln or "OA00023:" in ln]
    repeats = [i for i in range(1, len(events)) if events[i] == events[i - 1]]
    if repeats:
        problems.append(f"responder state logged twice in a row: {events}")
    if not events or events[0] != "down":
        problems.append(f"no outage was logged: {events}")
    if rounds < DURATION / 10:
        problems.append(f"only {rounds} probe rounds ended in {DURATION:.0f} s")
    unseen = [m for m, n in hostile.seen.items() if not n]
    if unseen:
        problems.append(f"the responder was never asked in modes {unseen}: {hostile.seen}")
    print(f"{restarts} restarts, {rounds} rounds, responder connections {hostile.seen}, "
          f"{keep.answers} kept-alive answers, {tls.handshakes} handshakes, events {events}, "
          f"largest child fds {fd0} -> {fd1}, threads {th0} -> {th1}")
    assert not problems, "\n".join(problems) + f"\n--- error log (tail):\n{log[-5000:]}"
