"""Start and stop the local single-node Kafka broker (infra/kafka/broker.sh) from Python."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .settings import Settings

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "kafka" / "broker.sh"


def _env(settings: Settings, data_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["TEAMFLOW_KAFKA_PORT"] = str(settings.kafka_port)
    env["TEAMFLOW_KAFKA_CONTROLLER_PORT"] = str(settings.kafka_controller_port)
    env["TEAMFLOW_KAFKA_DATA_DIR"] = str((data_dir or settings.kafka_data_dir).resolve())
    return env


def broker(command: str, settings: Settings, data_dir: Path | None = None, check: bool = True) -> int:
    """Run `broker.sh <command>` (fetch, start, stop, status) with the settings' ports and data dir."""
    if not SCRIPT.exists():
        raise FileNotFoundError(f"{SCRIPT} not found: the local broker needs the repository checkout")
    done = subprocess.run(["bash", str(SCRIPT), command], env=_env(settings, data_dir))
    if check and done.returncode != 0:
        raise RuntimeError(f"broker.sh {command} failed with exit code {done.returncode}")
    return done.returncode
