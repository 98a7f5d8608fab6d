"""The Dagster UI, started on loopback, shows every dbt model and check in its tier group."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WEBSERVER = str(Path(sys.executable).with_name("dagster-webserver"))
QUERY = """
{ assetNodes { assetKey { path } groupName
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } } } }
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text((ROOT / "warehouse" / "dagster" / "dagster.yaml").read_text())
    process = subprocess.Popen(
        [WEBSERVER, "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Dagster webserver did not answer within 120 s")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def manifest_models() -> dict[str, dict]:
    manifest = json.loads((ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    return {
        node["unique_id"]: node for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "test")
    }


def test_every_model_and_check_is_in_the_asset_graph(webserver: int) -> None:
    nodes = graphql(webserver, QUERY)["assetNodes"]
    by_key = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    checks = {
        check["name"]
        for node in nodes
        if node["assetChecksOrError"]["__typename"] == "AssetChecks"
        for check in node["assetChecksOrError"]["checks"]
    }

    dbt_nodes = manifest_models().values()
    models = [node for node in dbt_nodes if node["resource_type"] == "model"]
    tests = [node for node in dbt_nodes if node["resource_type"] == "test"]
    assert {f"{m['schema']}/{m['name']}" for m in models} <= set(by_key)
    assert {t["name"] for t in tests} <= checks
    assert {"plan_column_totals_reconcile", "village_registry_matches_plan"} <= checks


def test_lineage_runs_from_raw_files_to_the_tiers_grouped_by_tier(webserver: int) -> None:
    nodes = graphql(webserver, QUERY)["assetNodes"]
    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}

    assert groups["submission_archive"] == "submissions"
    assert groups["reference/counties"] == "reference"
    assert groups["province/province_monthly_progress"] == "province"
    assert groups["departments/department_monthly_targets"] == "departments"
    assert groups["prefectures/prefecture_monthly_villages"] == "prefectures"
    assert groups["counties/county_monthly_balance"] == "counties"
    assert groups["dispatch/dispatch_monthly_overview"] == "dispatch"
    assert groups["published_warehouse"] == "publish"
    assert groups["dispatch_report"] == "reports"


def test_the_webserver_listens_on_loopback_only(webserver: int) -> None:
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{webserver}"], capture_output=True,
                               text=True, check=False).stdout
    if not listening.strip():
        pytest.fail("ss found no listener; is iproute2 installed?")

    assert all(line.split()[3].startswith("127.0.0.1:") for line in listening.splitlines())


def _session_alive(session: int) -> list[str]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                alive.append(entry.name)
    return alive


def test_dukan_ui_started_in_the_background_stops_on_sigterm(tmp_path: Path) -> None:
    """`nohup dukan ui &` from a script: SIGINT ignored, and a plain `kill` must still stop
    the webserver, the daemon and the code server."""
    port = free_port()
    env = {**os.environ, "DUKAN_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
           "DAGSTER_HOME": str(tmp_path / "dagster")}
    dukan = str(Path(sys.executable).with_name("dukan"))
    process = subprocess.Popen(
        [dukan, "ui", "--port", str(port)], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert time.monotonic() < deadline and process.poll() is None, "no UI in 180 s"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        process.terminate()
        process.wait(timeout=60)
        deadline = time.monotonic() + 60
        while _session_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _session_alive(process.pid) == []
    finally:
        if process.poll() is None or _session_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
