"""Start-up and memory benchmark of the GUI (not a test: it prints numbers, it never fails on them).

1. Time to the first interactive screen, BENCH_RUNS times (default 5), each with a fresh
   config dir: the Sources page with its list loaded (empty: the explanation and the
   "Add Source" button, on screen and enabled). Two clocks:
   - from the app process's own start (its start time in /proc, 10 ms resolution) to the
     moment WebDriver first finds the button displayed and enabled;
   - from the WebDriver "new session" request, which also counts WebKitWebDriver starting.
   The button is looked for every 20 ms, so the times are up to ~20 ms late.
2. Peak memory: one moto seeded with BENCH_KEYS keys (default 10,000 small PNGs in one
   folder), added as a source with the CLI; the app opens it in the browser (list view, whose
   rows show thumbnails from the local CDN) and WebDriver scrolls the list to its last key.
   RSS is sampled every 100 ms for the app process and each of its WebKit children
   (WebKitWebProcess: the page; WebKitNetworkProcess) and the peak of their sum is reported,
   with each process's own peak (VmHWM) and the PSS at the end (shared pages counted once).

Run it through bench/startup.sh, which builds the release binary and provides Xvfb, moto,
tauri-driver and a private keychain.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests

BIN = os.environ["BUCKETDESK_BIN"]
DRIVER = os.environ["TAURI_DRIVER"]
MOTO = os.environ["BUCKETDESK_MOTO_SERVER"]
ROOT = os.environ["BUCKETDESK_ROOT"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
KEYS = int(os.environ.get("BENCH_KEYS", "10000"))
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(config_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LC_"))}
    env.update(LANG="en_US.UTF-8", LANGUAGE="en_US", BUCKETDESK_CONFIG_DIR=config_dir)
    env.pop("BUCKETDESK_SANDBOX", None)
    return env


class Session:
    """One tauri-driver (its own process group: driver, WebKitWebDriver, the app) and session."""

    def __init__(self, config_dir):
        self.port = free_port()
        native = free_port()
        self.driver = subprocess.Popen(
            [DRIVER, "--port", str(self.port), "--native-port", str(native)],
            env=app_env(config_dir), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.base}/status", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("tauri-driver did not listen")
            time.sleep(0.05)
        self.url = None

    def start(self):
        """Requests the session (this launches the app); returns when WebDriver answers."""
        body = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": BIN}}}}
        answer = requests.post(f"{self.base}/session", json=body, timeout=120).json()["value"]
        self.url = f"{self.base}/session/{answer['sessionId']}"

    def call(self, method, route, body=None):
        r = requests.request(method, self.url + route, json=body, timeout=120)
        value = r.json()["value"]
        if not r.ok:
            raise RuntimeError(f"{method} {route}: {value}")
        return value

    def find(self, css):
        try:
            return self.call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]
        except RuntimeError:
            return None

    def wait(self, css, timeout=60, interval=0.02, enabled=False):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            el = self.find(css)
            try:
                if el and self.call("GET", f"/element/{el}/displayed") and (
                        not enabled or self.call("GET", f"/element/{el}/enabled")):
                    return el
            except RuntimeError:
                pass  # replaced by a re-render between the two calls: look again
            time.sleep(interval)
        raise SystemExit(f"timed out waiting for {css}")

    def execute(self, script, args=()):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def processes(self):
        """The app process and its WebKit children: [(pid, name)]."""
        children = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append((int(pid), name))
        found, todo = [], [self.driver.pid]
        while todo:
            for pid, name in children.get(todo.pop(), []):
                todo.append(pid)
                if name == "bucketdesk" or name.startswith("WebKit") and name != "WebKitWebDriver":
                    found.append((pid, name))
        # WebKit's helpers are the app's children; the driver's own WebKitWebDriver is not counted.
        return found

    def close(self):
        try:
            if self.url:
                requests.delete(self.url, timeout=10)
        except requests.RequestException:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.driver.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        self.driver.wait()


def started_at(pid):
    """A process's start, in seconds of CLOCK_BOOTTIME (what /proc/PID/stat counts in ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[19]) / CLK_TCK


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def startup_runs():
    from_process, from_request = [], []
    for run in range(RUNS):
        config_dir = tempfile.mkdtemp(prefix="bucketdesk-bench-startup-")
        session = Session(config_dir)
        try:
            requested = time.clock_gettime(time.CLOCK_BOOTTIME)
            session.start()
            # The empty first screen, its list loaded: the explanation and "Add Source".
            session.wait('[data-testid="sources-empty"] [data-testid="sources-add"]', enabled=True)
            ready = time.clock_gettime(time.CLOCK_BOOTTIME)
            app = [pid for pid, name in session.processes() if name == "bucketdesk"]
            if len(app) != 1:
                raise SystemExit(f"expected one app process, found {session.processes()}")
            from_process.append(ready - started_at(app[0]))
            from_request.append(ready - requested)
            print(f"  run {run + 1}: {from_process[-1] * 1000:6.0f} ms from the app's start, "
                  f"{from_request[-1] * 1000:6.0f} ms from the session request", flush=True)
        finally:
            session.close()
            shutil.rmtree(config_dir, ignore_errors=True)
    return statistics.median(from_process), statistics.median(from_request)


def seed(endpoint):
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="AKIABENCHMARK0000000", aws_secret_access_key="bench")
    s3.create_bucket(Bucket="bench-startup")
    with open(os.path.join(ROOT, "icons", "32x32.png"), "rb") as f:
        png = f.read()
    width = len(str(KEYS))
    keys = [f"photos/사진 {i:0{width}d}.png" for i in range(1, KEYS + 1)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket="bench-startup", Key=k, Body=png,
                                              ContentType="image/png"), keys))
    return keys


def memory_run(endpoint, keys):
    config_dir = tempfile.mkdtemp(prefix="bucketdesk-bench-memory-")
    env = dict(app_env(config_dir), AWS_EC2_METADATA_DISABLED="true")
    subprocess.run([BIN, "source", "add", "bench", "--bucket", "bench-startup", "--base-path", "/photos",
                    "--access-key-id", "AKIABENCHMARK0000000", "--secret-stdin", "--endpoint-url", endpoint],
                   input=b"bench\n", env=env, check=True, stdout=subprocess.DEVNULL)
    session = Session(config_dir)
    peak = {"sum": 0, "by_name": {}, "kinds": {}}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            total, by_name, kinds = 0, {}, {}
            for pid, name in session.processes():
                try:
                    kb = status_kb(pid, "VmRSS")
                    split = [status_kb(pid, field) for field in ("RssAnon", "RssFile", "RssShmem")]
                except OSError:
                    continue
                total += kb
                by_name[name] = by_name.get(name, 0) + kb
                kinds[name] = [a + b for a, b in zip(kinds.get(name, [0, 0, 0]), split)]
            if total > peak["sum"]:
                peak["sum"], peak["by_name"], peak["kinds"] = total, by_name, kinds
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        session.start()
        sampler.start()
        session.wait('[data-testid="source-row"][data-name="bench"] [data-testid="source-browse"]')
        browse = session.find('[data-testid="source-row"][data-name="bench"] [data-testid="source-browse"]')
        session.call("POST", f"/element/{browse}/click", {})
        session.wait('[data-testid="browser-row"]')
        last = keys[-1].removeprefix("photos/")
        started = time.monotonic()
        # Scroll to the end, page after page, until the last key is on screen.
        while True:
            at_end = session.execute(
                "const list = document.querySelector('[data-testid=\"browser-list\"]');"
                "list.scrollTop = list.scrollHeight;"
                "return [...list.querySelectorAll('[data-testid=\"browser-row\"]')]"
                ".some((row) => row.dataset.key === arguments[0]);", [last])
            if at_end:
                break
            if time.monotonic() - started > 600:
                raise SystemExit("the list did not reach its last key in 10 minutes")
            time.sleep(0.2)
        scrolled = time.monotonic() - started
        time.sleep(2)  # the last screenful's thumbnails
        stop.set()
        sampler.join()
        procs = session.processes()
        compositing = "on"
        for pid, name in procs:
            if name.startswith("WebKitWebProces"):
                with open(f"/proc/{pid}/environ", "rb") as f:
                    variables = f.read().split(b"\0")
                if any(v.startswith(b"WEBKIT_DISABLE_COMPOSITING_MODE=") and v != b"WEBKIT_DISABLE_COMPOSITING_MODE=0"
                       for v in variables):
                    compositing = "off"
        hwm = {}
        pss = 0
        for pid, name in procs:
            hwm[name] = hwm.get(name, 0) + status_kb(pid, "VmHWM")
            pss += pss_kb(pid)
        return scrolled, peak, hwm, pss, compositing
    finally:
        stop.set()
        session.close()
        shutil.rmtree(config_dir, ignore_errors=True)


def main():
    print(f"binary: {BIN}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start "
          "(the machine may be shared: times vary with the load)", flush=True)
    print(f"time to the first interactive screen ({RUNS} runs, fresh config each):", flush=True)
    process_ms, request_ms = startup_runs()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                requests.get(endpoint + "/moto-api/data.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        keys = seed(endpoint)
        print(f"seeded {len(keys)} keys (PNG, {os.path.getsize(os.path.join(ROOT, 'icons', '32x32.png'))} bytes each) "
              f"on {endpoint}", flush=True)
        scrolled, peak, hwm, pss, compositing = memory_run(endpoint, keys)
    finally:
        moto.terminate()
        moto.wait()
    mb = lambda kb: kb / 1024
    print()
    print(f"interactive: median {process_ms * 1000:.0f} ms from the app's start "
          f"({request_ms * 1000:.0f} ms from the WebDriver session request); goal <= 1500 ms")
    print(f"WebKit's accelerated compositing in the page process: {compositing} "
          "(the app turns it off where there is no GPU render node, /dev/dri/renderD*)")
    print(f"browser: {len(keys)} keys listed and scrolled to the last in {scrolled:.1f} s")
    parts = ", ".join(f"{name} {mb(kb):.0f} MB" for name, kb in sorted(peak["by_name"].items()))
    print(f"peak RSS, app + WebKit children (sum sampled every 100 ms): {mb(peak['sum']):.0f} MB ({parts}); goal <= 200 MB")
    print("at that peak, anonymous / file-backed (shared libraries) / shared memory: " + ", ".join(
        f"{name} {mb(a):.0f} / {mb(f):.0f} / {mb(sh):.0f} MB" for name, (a, f, sh) in sorted(peak["kinds"].items())))
    print("each process's own peak (VmHWM): " + ", ".join(f"{n} {mb(kb):.0f} MB" for n, kb in sorted(hwm.items())))
    print(f"PSS at the end, app + WebKit children (shared pages counted once): {mb(pss):.0f} MB")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
