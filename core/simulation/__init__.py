"""Behaviour simulation of a recommender in use: the simulated world (a factor model of true
taste, with scenario drift: a genre penalty, a cohort's taste shift, newcomers), how people
consume what the champion shows them, the loop of rounds, and run storage
(``Slot("simulation", catalog, run)`` in the artifact store).

The loop only observes unless it is given a reviewer: drift checks and champion/challenger
decisions belong to :mod:`core.monitoring`, which attaches its reviewer
(``core.monitoring.start_simulation`` / ``open_simulation``)::

    from core.simulation import Simulation, make_scenario, list_runs
"""
from core.simulation.behaviour import Behaviour, consume
from core.simulation.loop import Observer, Reviewer, RoundContext, RoundReview, Simulation, check_rounds
from core.simulation.storage import KIND, list_runs, run_slot
from core.simulation.world import PRESETS, Scenario, World, calibrate_noise, make_scenario, rating_step

__all__ = ["Behaviour", "KIND", "Observer", "PRESETS", "Reviewer", "RoundContext", "RoundReview", "Scenario",
           "Simulation", "World", "calibrate_noise", "check_rounds", "consume", "list_runs", "make_scenario", "rating_step",
           "run_slot"]
