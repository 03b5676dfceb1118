"""The three peer-benchmark models in SimPy, written the way its documentation
teaches: one generator process per customer, a Resource per station.

Each function simulates one replication from an empty system until
warmup + duration and returns (model events, latencies in seconds, CPU
seconds of env.run). Model events are counted as capsim counts them: one per
external arrival plus one per service completion, warm-up included.
Latencies are those of customers who leave during [warmup, warmup + duration].
"""

import math
import random
import time

import simpy


def _mmc(servers, rate, mean_service, seed, warmup, duration):
    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=servers)  # one FIFO queue for all servers
    events, latencies = 0, []

    def customer():
        nonlocal events
        arrived = env.now
        with pool.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / mean_service))
        events += 1  # service completion
        if env.now >= warmup:
            latencies.append(env.now - arrived)

    def source():
        nonlocal events
        while True:
            yield env.timeout(rng.expovariate(rate))
            events += 1  # arrival
            env.process(customer())

    env.process(source())
    cpu = time.process_time()
    env.run(until=warmup + duration)
    return events, latencies, time.process_time() - cpu


def mm1(seed, warmup, duration):
    return _mmc(1, 0.9, 1.0, seed, warmup, duration)


def mm8(seed, warmup, duration):
    return _mmc(8, 7.2, 1.0, seed, warmup, duration)


# Lognormal app service: mean 25 ms, sigma 0.5 of the underlying normal, so
# mu = ln(mean) - sigma^2 / 2.
APP_SIGMA = 0.5
APP_MU = math.log(0.025) - APP_SIGMA**2 / 2


def three_tier(seed, warmup, duration):
    rng = random.Random(seed)
    env = simpy.Environment()
    apps = [simpy.Resource(env, capacity=8) for _ in range(4)]
    cache = simpy.Resource(env, capacity=4)
    db = simpy.Resource(env, capacity=16)
    events, latencies = 0, []

    def request(app):
        nonlocal events
        arrived = env.now
        with app.request() as req:
            yield req
            yield env.timeout(rng.lognormvariate(APP_MU, APP_SIGMA))
        events += 1  # app completion
        # The app worker is released (end of the `with`) before the next
        # station: a Jackson-style forward, not a call that holds the worker.
        station, mean = (cache, 0.0005) if rng.random() < 0.8 else (db, 0.005)
        with station.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / mean))
        events += 1  # cache or database completion
        if env.now >= warmup:
            latencies.append(env.now - arrived)

    def source():
        nonlocal events
        n = 0
        while True:
            yield env.timeout(rng.expovariate(900.0))
            events += 1  # arrival
            env.process(request(apps[n % 4]))  # round robin
            n += 1

    env.process(source())
    cpu = time.process_time()
    env.run(until=warmup + duration)
    return events, latencies, time.process_time() - cpu


MODELS = {"mm1": mm1, "mm8": mm8, "three-tier": three_tier}
