"""``make bench``: speed and memory of the assistant, printed as numbers.

For now it measures the NLU (the model loaded in-process): parse latency over the
held-out messages and the process's peak memory. The end-to-end conversational load
through the WhatsApp webhook joins it with the channels.
"""
from __future__ import annotations

import asyncio
import logging
import resource
import statistics
import time
from typing import List

from bot.evaluation import load_heldout


def percentile(values: List[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


async def _measure(model: str, texts: List[str], rounds: int) -> List[float]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(get_local_model(model))
    await agent.parse_message("hola")  # warm-up
    latencies = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def run_benchmark(model: str = "models", heldout: str = "eval/heldout.yml", rounds: int = 3) -> int:
    """Print NLU parse latency percentiles, throughput and peak memory."""
    texts = [e["text"] for e in load_heldout(heldout)]
    started = time.perf_counter()
    latencies = asyncio.run(_measure(model, texts, rounds))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nlu_parse_count      {len(latencies)}")
    print(f"nlu_parse_p50_ms     {percentile(latencies, 0.50):.1f}")
    print(f"nlu_parse_p95_ms     {percentile(latencies, 0.95):.1f}")
    print(f"nlu_parse_p99_ms     {percentile(latencies, 0.99):.1f}")
    print(f"nlu_parse_mean_ms    {statistics.mean(latencies):.1f}")
    print(f"nlu_parses_per_s     {len(latencies) / sum(latencies) * 1000:.1f}")
    print(f"total_seconds        {elapsed:.1f}")
    print(f"peak_rss_mb          {peak_mb:.0f}")
    return 0
