"""The three peer-benchmark models in Ciw, as networks of nodes.

Same contract as simpy_models.py: each function simulates one replication
from an empty system until warmup + duration and returns (model events,
latencies in seconds, CPU seconds of the simulation proper). Model events are
external arrivals plus service completions (Ciw writes one record per
completed service), warm-up included; latencies are those of customers who
leave during [warmup, warmup + duration].
"""

import math
import time

import ciw


def _run(network, seed, warmup, duration, arrival_node_class=None):
    ciw.seed(seed)  # seeds `random` (which Ciw's distributions use) and numpy
    sim = ciw.Simulation(network, arrival_node_class=arrival_node_class)
    cpu = time.process_time()
    sim.simulate_until_max_time(warmup + duration)
    cpu = time.process_time() - cpu
    # Reading the results back is bookkeeping, not simulation: not timed.
    arrivals = sim.nodes[0].number_of_individuals
    completions = 0
    latencies = []
    for ind in sim.nodes[-1].all_individuals:  # customers who left the network
        records = ind.data_records
        completions += len(records)
        if records[-1].exit_date >= warmup:
            latencies.append(records[-1].exit_date - records[0].arrival_date)
    for node in sim.transitive_nodes:  # customers still inside: their finished visits count
        completions += sum(len(ind.data_records) for ind in node.all_individuals)
    return arrivals + completions, latencies, cpu


def _mmc(servers, rate, seed, warmup, duration):
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Exponential(rate=1.0)],  # mean 1 s
        number_of_servers=[servers],
    )
    return _run(network, seed, warmup, duration)


def mm1(seed, warmup, duration):
    return _mmc(1, 0.9, seed, warmup, duration)


def mm8(seed, warmup, duration):
    return _mmc(8, 7.2, seed, warmup, duration)


class RoundRobinArrivals(ciw.ArrivalNode):
    """Deals the one Poisson stream (defined at node 1) over the app nodes 1-4
    in turn. Ciw has no balancer at the arrival node; four independent
    streams at 225/s would be Poisson per node, which round robin is not
    (each app sees Erlang-4 gaps), so the split is done here instead."""

    def __init__(self, simulation):
        super().__init__(simulation)
        self.turn = 0

    def send_individual(self, next_node, next_individual):
        app = self.simulation.transitive_nodes[self.turn]
        self.turn = (self.turn + 1) % 4
        super().send_individual(app, next_individual)


# Lognormal app service: mean 25 ms, sigma 0.5; Ciw's Lognormal takes the
# underlying normal's mean and sd, mu = ln(mean) - sigma^2 / 2.
APP_SIGMA = 0.5
APP_MU = math.log(0.025) - APP_SIGMA**2 / 2


def three_tier(seed, warmup, duration):
    app = ciw.dists.Lognormal(mean=APP_MU, sd=APP_SIGMA)
    # Nodes 1-4 are the apps, 5 the cache, 6 the database. A finished app
    # visit goes to the cache with p = 0.8, else to the database; the app
    # server is free as soon as the job leaves it.
    to_backend = [ciw.routing.Probabilistic(destinations=[5, 6], probs=[0.8, 0.2]) for _ in range(4)]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=900.0)] + [None] * 5,
        # app: lognormal; cache: exp, mean 0.5 ms; database: exp, mean 5 ms
        service_distributions=[app] * 4 + [ciw.dists.Exponential(rate=2000.0), ciw.dists.Exponential(rate=200.0)],
        number_of_servers=[8] * 4 + [4, 16],
        routing=ciw.routing.NetworkRouting(routers=to_backend + [ciw.routing.Leave(), ciw.routing.Leave()]),
    )
    return _run(network, seed, warmup, duration, RoundRobinArrivals)

MODELS = {"mm1": mm1, "mm8": mm8, "three-tier": three_tier}
