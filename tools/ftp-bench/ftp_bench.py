#!/usr/bin/env python3
"""Strata's FTP server against vsftpd, same files, same clients, same run (docs/PERFORMANCE.md).

  sudo python3 tools/ftp-bench/ftp_bench.py --strata .build/release/strata

Both serve one folder anonymously and read-only on loopback with limits raised, so the figures
compare protocol handling and transfers, not password hashing (the cost of one password check
is reported on its own). Measures: single-client RETR throughput of a 1 GB file (curl), 200
sequential connect+login (p50/p99), 500 clients at once each doing LIST + RETR of a 10 MB file
(all must succeed; total time), and the server's RSS with 500 clients logged in.
"""
import argparse
import ftplib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def rss_kb(pid):
    total = 0
    # vsftpd forks a process per client: count the whole tree.
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
    except Exception:
        pass
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def download_speed(port):
    url = f"ftp://anonymous:x@127.0.0.1:{port}/big.bin"
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", url], capture_output=True, text=True)
    return float(out.stdout or 0) / 1e6


def retr_rounds(ports, rounds):
    """1 GB downloads from each server in turn, `rounds` times: both servers see the same
    machine state (page cache, other load), which best-of-3 per server one after the other
    did not give (vsftpd varied 1.7x between such runs)."""
    speeds = {name: [] for name in ports}
    for i in range(rounds):
        order = list(ports.items()) if i % 2 == 0 else list(reversed(ports.items()))
        for name, port in order:
            speeds[name].append(download_speed(port))
    return speeds


CLIENT_TIMEOUT = 120


def crowd(port, clients):
    """`clients` at once, each connect + login + LIST + RETR of the 10 MB file: seconds until
    the last is done, and how many got the whole file."""
    ok = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client():
        try:
            start.wait()
            f = ftplib.FTP()
            f.connect("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
            f.login("anonymous", "x")
            f.nlst("/")
            n = [0]
            f.retrbinary("RETR /ten.bin", lambda b: n.__setitem__(0, n[0] + len(b)), blocksize=262144)
            f.quit()
            if n[0] == 10 * 1024 * 1024:
                with lock:
                    ok[0] += 1
        except Exception:
            pass

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t, ok[0]


def crowd_rounds(ports, clients, rounds):
    """The crowd against each server in turn, `rounds` times, as retr_rounds does."""
    times = {name: [] for name in ports}
    for i in range(rounds):
        order = list(ports.items()) if i % 2 == 0 else list(reversed(ports.items()))
        for name, port in order:
            times[name].append(crowd(port, clients))
    return times


def measure(name, port, pid):
    r = {"server": name}

    lat = []
    for _ in range(200):
        t = time.perf_counter()
        f = ftplib.FTP()
        f.connect("127.0.0.1", port, timeout=30)
        f.login("anonymous", "x")
        f.quit()
        lat.append(time.perf_counter() - t)
    lat.sort()
    r["login_p50_ms"] = statistics.median(lat) * 1000
    r["login_p99_ms"] = lat[int(len(lat) * 0.99) - 1] * 1000

    r["500_clients_s"], r["500_clients_ok"] = crowd(port, 500)

    held = []
    for _ in range(500):
        try:
            f = ftplib.FTP()
            f.connect("127.0.0.1", port, timeout=30)
            f.login("anonymous", "x")
            held.append(f)
        except Exception:
            break
    time.sleep(1)
    r["rss_500_MB"] = rss_kb(pid) / 1024
    r["held"] = len(held)
    for f in held:
        try:
            f.close()
        except Exception:
            pass
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True, help="path of the strata binary (a release build)")
    ap.add_argument("--rounds", type=int, default=9, help="1 GB downloads per server, alternating")
    ap.add_argument("--retr-only", action="store_true", help="only the alternating 1 GB downloads")
    ap.add_argument("--crowd", type=int, default=0, metavar="N",
                    help="only N clients at once (LIST + RETR 10 MB each), alternating servers for --rounds rounds")
    ap.add_argument("--client-timeout", type=float, default=120, help="seconds a crowd client waits before it counts as failed")
    args = ap.parse_args()
    global CLIENT_TIMEOUT
    CLIENT_TIMEOUT = args.client_timeout
    work = tempfile.mkdtemp(prefix="ftp-bench-")
    root = os.path.join(work, "root")
    os.makedirs(root)
    os.chmod(work, 0o755)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(1024):
            f.write(chunk)
    with open(os.path.join(root, "ten.bin"), "wb") as f:
        f.write(os.urandom(10 << 20))
    os.chmod(root, 0o555)
    results = []
    try:
        sp = free_port()
        cfg = os.path.join(work, "strata.toml")
        open(cfg, "w").write(f"""
[site]
name = "ftp bench"
timezone = "UTC"
[storage]
path = "{work}/s.sqlite"
[archive]
path = "{root}"
[ftp]
listen = "127.0.0.1"
port = {sp}
passive_ports = "42000-44999"
anonymous = true
max_clients = 2000
max_per_ip = 2000
""")
        p = subprocess.Popen([args.strata, "run", "--config", cfg, "--no-archive"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        vp = free_port()
        os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
        vcfg = os.path.join(work, "vsftpd.conf")
        open(vcfg, "w").write(f"""listen=YES
listen_address=127.0.0.1
listen_port={vp}
background=NO
anonymous_enable=YES
anon_root={root}
no_anon_password=YES
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_min_port=45000
pasv_max_port=47999
max_clients=2000
max_per_ip=2000
secure_chroot_dir=/var/run/vsftpd/empty
seccomp_sandbox=NO
xferlog_enable=NO
use_sendfile=YES
""")
        v = subprocess.Popen(["vsftpd", vcfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(sp)
            wait_port(vp)
            download_speed(sp)  # the file into the page cache for both
            if args.crowd:
                crowd(sp, 10)  # warm both
                crowd(vp, 10)
                times = crowd_rounds({"strata": sp, "vsftpd": vp}, args.crowd, args.rounds)
                speeds = None
            else:
                speeds = retr_rounds({"strata": sp, "vsftpd": vp}, args.rounds)
            if not args.retr_only:
                results.append(measure("strata", sp, p.pid))
                results.append(measure("vsftpd", vp, v.pid))
        finally:
            p.terminate()
            p.wait()
            v.terminate()
            v.wait()
            subprocess.run(["pkill", "-f", vcfg])

        t = time.perf_counter()
        subprocess.run([args.strata, "passwd"], input="benchmark\n", capture_output=True, text=True)
        check = time.perf_counter() - t
    finally:
        os.chmod(root, 0o755)
        shutil.rmtree(work, ignore_errors=True)

    if args.crowd:
        print(f"{args.crowd} clients at once, LIST + RETR 10 MB each, {args.rounds} alternating rounds (seconds until the last is done / clients served):")
        for name, rs in times.items():
            xs = [t for t, _ in rs]
            print(f"  {name}: median {statistics.median(xs):.2f} s, min {min(xs):.2f}, max {max(xs):.2f}  "
                  f"({', '.join(f'{t:.2f} s/{ok}' for t, ok in rs)})")
        ms = statistics.median(t for t, _ in times["strata"])
        mv = statistics.median(t for t, _ in times["vsftpd"])
        print(f"  strata / vsftpd time, medians: {ms / mv:.2f}x")
        return
    print(f"1 GB RETR, {args.rounds} alternating rounds (MB/s):")
    for name, xs in speeds.items():
        print(f"  {name}: median {statistics.median(xs):.0f}, min {min(xs):.0f}, max {max(xs):.0f}  ({', '.join(f'{x:.0f}' for x in xs)})")
    ms, mv = statistics.median(speeds["strata"]), statistics.median(speeds["vsftpd"])
    print(f"  strata / vsftpd, medians: {ms / mv:.2f}x")
    if args.retr_only:
        return
    keys = ["login_p50_ms", "login_p99_ms", "500_clients_s", "500_clients_ok", "rss_500_MB", "held"]
    print("| measure | " + " | ".join(r["server"] for r in results) + " | strata / vsftpd |")
    print("|---|" + "---|" * (len(results) + 1))
    for k in keys:
        vals = [r[k] for r in results]
        ratio = vals[0] / vals[1] if len(vals) == 2 and vals[1] else float("nan")
        print(f"| {k} | " + " | ".join(f"{x:.1f}" if isinstance(x, float) else str(x) for x in vals) + f" | {ratio:.2f}x |")
    print(f"one `strata passwd` (process start + one scrypt hash, ln=14 r=8 p=1): {check * 1000:.0f} ms")


if __name__ == "__main__":
    main()
