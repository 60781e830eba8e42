"""Text rendering of `team_metrics` for the terminal: one line per figure with its sample size."""
from __future__ import annotations

from typing import Any


def is_figure(value: Any) -> bool:
    return isinstance(value, dict) and {"value", "sample", "insufficient"} <= set(value)


def sample_size(n: Any) -> str:
    """A sample size as a whole number: person-months and other fractional bases are rounded (23.92 -> 24)."""
    try:
        return str(int(round(float(n))))
    except (TypeError, ValueError):
        return str(n)


def _fmt(fig: dict[str, Any]) -> str:
    if fig["insufficient"]:
        return f"not enough data (n={sample_size(fig['sample'])}, needs {sample_size(fig['min_sample'])})"
    v = fig["value"]
    if isinstance(v, float):
        text = f"{v:.3f}"
    else:
        text = str(v)
    return f"{text}  (n={sample_size(fig['sample'])})"


def render(metrics: dict[str, Any]) -> str:
    """Every figure of every area, in the order the queries return them; lists (per deal) summarised."""
    period = metrics.get("period", {})
    lines = [f"team {metrics.get('team')}  period {period.get('label')} "
             f"[{period.get('start')} .. {period.get('end')})"]
    for area, body in metrics.items():
        if not isinstance(body, dict) or area == "period":
            continue
        lines.append(f"\n{area}")
        for name, value in body.items():
            if is_figure(value):
                lines.append(f"  {name:<40} {_fmt(value)}")
            elif isinstance(value, list):
                lines.append(f"  {name:<40} {len(value)} rows (use --json for the detail)")
            elif isinstance(value, dict):
                for sub, fig in value.items():
                    if is_figure(fig):
                        lines.append(f"  {name + '.' + str(sub):<40} {_fmt(fig)}")
            else:
                lines.append(f"  {name:<40} {value}")
    return "\n".join(lines)
