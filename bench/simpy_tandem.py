#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SimPy 3 baseline for flowscope-bench's simulator benchmark (docs/benchmarks.md, issue 4).

A tandem of five M/M/1 stations: Poisson arrivals at 800/s, each station one server, FIFO,
exponential service time of mean 1 ms. bench/tandem.yaml is the same model as a flow file.

Prints one JSON object: completions (station completions summed over the five stations),
sim_seconds, wall_seconds (env.run only, not the import or the set-up).

Usage: /usr/bin/python3 bench/simpy_tandem.py [--duration SECONDS] [--seed N]
(Debian: python3-simpy3; python3-simpy is the old SimPy 2 API.)
"""
import argparse
import json
import random
import time

import simpy

STATIONS = 5
RATE = 800.0          # arrivals per second
SERVICE_MEAN = 0.001  # seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds (default 60)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=1) for _ in range(STATIONS)]  # FIFO queue, one server
    completions = [0] * STATIONS

    def job(env):
        for i, station in enumerate(stations):
            with station.request() as req:
                yield req
                yield env.timeout(rng.expovariate(1.0 / SERVICE_MEAN))
            completions[i] += 1

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(RATE))
            env.process(job(env))

    env.process(source(env))
    start = time.perf_counter()
    env.run(until=args.duration)
    wall = time.perf_counter() - start
    print(json.dumps({"completions": sum(completions), "per_station": completions,
                      "sim_seconds": env.now, "wall_seconds": wall}))


if __name__ == "__main__":
    main()
