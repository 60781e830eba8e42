"""Screenshots of every dashboard page for each role at 1280 and 1920 px wide: docs/screenshots/page-role-width.png.

Against running dashboards (e.g. `teamflow up` with demo data; its demo accounts' passwords are
printed on the first start):

    python scripts/screenshots.py --url http://127.0.0.1:8050 \\
        --account demo-manager:PASS --account demo-rep:PASS --account demo-exec:PASS [--account ops:PASS]

Or self-contained (a local Kafka broker from infra/kafka, one worker with dashboards fed with
simulated events over 18 months, an account per role):

    python scripts/screenshots.py --simulate [--dash-port 19401 --kafka-port 19410] [--events 20000]

Headless Debian chromium; each page is captured at its full height once its tiles say what they
rest on (or after --settle-timeout seconds). Which pages a role gets comes from dashboards.access.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
OUT = REPO / "docs" / "screenshots"
WIDTHS = (1280, 1920)
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(90)
    return d


def sign_in(d, url: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d.get(url + "/logout")
    d.get(url + "/login")
    d.find_element(By.ID, "username").send_keys(username)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "login-submit").click()
    WebDriverWait(d, 30).until(lambda x: "/login" not in x.current_url)


def settled(d) -> bool:
    """Tile footers present, every one filled, and nothing loading."""
    return d.execute_script(
        "const feet = Array.from(document.querySelectorAll('.fresh'));"
        "const busy = document.querySelector('[data-dash-is-loading=\"true\"], ._dash-loading');"
        "return !busy && feet.length > 0 && feet.every(f => f.innerText.trim().length > 0);")


def capture(d, url: str, path: str, file: Path, width: int, timeout: float) -> None:
    viewport(d, width)
    d.get(url + path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not settled(d):
        time.sleep(1)
    time.sleep(2)  # plotly's last relayout
    save_full(d, file, width)


def viewport(d, width: int) -> None:
    """Exactly `width` CSS pixels wide (the window's own frame would take some)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def save_full(d, file: Path, width: int) -> None:
    """The whole page at `width`, however tall: Chromium's capture beyond the viewport."""
    import base64

    height = d.execute_script(  # the page, or its scrolling main area, whichever is taller
        "const m = document.querySelector('main');"
        "return Math.ceil(Math.max(document.body.scrollHeight, document.documentElement.scrollHeight,"
        " m ? m.getBoundingClientRect().top + window.scrollY + m.scrollHeight : 0));")
    height = min(max(int(height) + 16, 600), 8000)
    shot = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    file.write_bytes(base64.b64decode(shot["data"]))


def drill_down(d, file: Path, width: int, timeout: float) -> None:
    """The executive page drilled down to its first team (every measure of one team)."""
    from selenium.webdriver.common.by import By

    viewport(d, width)
    team = d.find_element(By.CSS_SELECTOR, "#exec-trend-grid tbody tr td").text  # teams are alphabetical
    d.execute_script("window.dash_clientside.set_props('exec-scope', {value: arguments[0]});", team)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and ("every measure" not in d.find_element(By.ID, "exec-chart-title").text
                                           or not settled(d)):
        time.sleep(1)
    time.sleep(2)
    save_full(d, file, width)


def role_of(d, url: str) -> str:
    """The signed-in user's role, read from the home page the app sends them to."""
    from dashboards.access import HOME

    d.get(url + "/")
    time.sleep(2)
    here = "/" + d.current_url.split("/", 3)[-1].split("?")[0]
    return next((r for r, p in HOME.items() if p == here), "unknown")


def take(url: str, accounts: list[tuple[str, str]], timeout: float) -> list[Path]:
    from dashboards.access import PAGES

    OUT.mkdir(parents=True, exist_ok=True)
    d = browser()
    made = []
    try:
        for username, password in accounts:
            sign_in(d, url, username, password)
            role = role_of(d, url)
            for path, (_title, roles) in PAGES.items():
                if role not in roles:
                    continue
                for width in WIDTHS:
                    file = OUT / f"{path.strip('/')}-{role}-{width}.png"
                    capture(d, url, path, file, width, timeout)
                    made.append(file)
                    print(f"{file.relative_to(REPO)}", flush=True)
                    if path == "/executive":
                        file = OUT / f"executive-team-{role}-{width}.png"
                        drill_down(d, file, width, timeout)
                        made.append(file)
                        print(f"{file.relative_to(REPO)}", flush=True)
    finally:
        d.quit()
    return made


def simulate_and_take(args) -> list[Path]:
    """A broker, a worker with dashboards and simulated events, an account per role; then `take`."""
    from streams.producer import make_producer, send_all
    from streams.simulator import simulate
    from support.processes import WorkerProcess
    from support.services import BROKER_SCRIPT

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="teamflow-shots-"))
    users_file = work / "users.json"
    accounts = [("shot-manager", "manager", "person-0000", "atlas"), ("shot-rep", "rep", "person-0001", "atlas"),
                ("shot-exec", "executive", None, None), ("shot-ops", "ops", None, None)]
    passwords = {name: f"{name}-pass-{os.getpid()}" for name, *_ in accounts}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMFLOW_")}
    env["TEAMFLOW_USERS_FILE"] = str(users_file)
    for name, role, person, team in accounts:
        cmd = [sys.executable, "-m", "teamflow", "users", "add", name, "--role", role, "--password-stdin"]
        cmd += ["--person", person, "--team", team] if person else []
        subprocess.run(cmd, input=passwords[name] + "\n", text=True, env=env, cwd=REPO, check=True, capture_output=True)
    kenv = dict(os.environ, TEAMFLOW_KAFKA_PORT=str(args.kafka_port),
                TEAMFLOW_KAFKA_CONTROLLER_PORT=str(args.kafka_port + 1), TEAMFLOW_KAFKA_DATA_DIR=str(work / "kafka"))
    subprocess.run(["bash", str(BROKER_SCRIPT), "start"], env=kenv, check=True)
    w = None
    try:
        bootstrap = f"127.0.0.1:{args.kafka_port}"
        w = WorkerProcess(bootstrap, work / "worker", dash_port=args.dash_port, extra_env={
            "TEAMFLOW_USERS_FILE": str(users_file), "TEAMFLOW_SECRET_KEY": "screenshots-secret"}).start()
        producer = make_producer(bootstrap)
        start = datetime.now(timezone.utc) - timedelta(days=args.days)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # the history ends now, as the demo's does: a review or lesson the simulator dates later is left out
        events = [(k, v) for k, v in simulate(args.seed, args.events, start=start, days=args.days)
                  if json.loads(v)["time"] <= now]
        send_all(producer, w.events_topic, events)
        producer.close()
        w.wait_for(lambda s: s["events"] >= len(events), timeout=600, what="events stored")
        return take(w.url("").rstrip("/"), [(n, passwords[n]) for n, *_ in accounts], args.settle_timeout)
    finally:
        if w is not None:
            w.stop()
        subprocess.run(["bash", str(BROKER_SCRIPT), "stop"], env=kenv, check=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="running dashboards, e.g. http://127.0.0.1:8050")
    ap.add_argument("--account", action="append", default=[], help="USER:PASSWORD (repeat, one per role)")
    ap.add_argument("--simulate", action="store_true", help="start a broker and a worker with simulated events")
    ap.add_argument("--dash-port", type=int, default=19401)
    ap.add_argument("--kafka-port", type=int, default=19410, help="and the next port for its controller")
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=540)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work-dir", help="data of the self-contained run (default: a temporary directory)")
    ap.add_argument("--settle-timeout", type=float, default=180)
    args = ap.parse_args(argv)
    if args.simulate:
        made = simulate_and_take(args)
    elif args.url and args.account:
        made = take(args.url.rstrip("/"), [tuple(a.split(":", 1)) for a in args.account], args.settle_timeout)
    else:
        ap.error("give --url with --account USER:PASSWORD (one per role), or --simulate")
    print(json.dumps({"screenshots": len(made)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
