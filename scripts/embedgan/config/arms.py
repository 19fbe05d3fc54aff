"""The notebook's question asked of a GAN that works: per data set, the positive control's arms,
each the control with one source of randomness changed, and the comparisons between them that
change one thing. The config names each set of arms (one per data set or conditioning) and the
experiment of each role it has (`arms: {mnist: {noise: ..., embedding: ...}}`); the roles and
what each comparison may change are known here only (their words: embedgan.documents.roles). Light (no torch): checked
when the workflow starts."""

from __future__ import annotations

from dataclasses import dataclass

from embedgan.config.settings import NOISE_OPTIONS, Experiment, changes, merged_experiment
from embedgan.errors import ConfigError

# Each role (what the generator is fed), in the order the documents show them; their words and
# the comparisons' questions are the documents' (embedgan.documents.roles).
ROLES = ("notebook", "noise_mode_seeking", "noise", "embedding", "distribution", "distribution_noise")
# The roles whose conditioning augmentation's KL weight a sweep picks (config `kl_sweeps`).
AUGMENTED_ROLES = ("distribution", "distribution_noise")


@dataclass(frozen=True)
class Comparison:
    """`after` against `before`, which differ in `changed` only (dotted settings keys by their
    first part), and a role whose presence makes the comparison redundant (`unless`: a better
    reference is there)."""

    before: str
    after: str
    changed: frozenset[str]
    unless: str | None = None


NOISE = frozenset({"noise_dim", *NOISE_OPTIONS})
COMPARISONS = (
    Comparison("noise", "noise_mode_seeking", frozenset({"mode_seeking"})),
    Comparison("embedding", "noise", NOISE),
    Comparison("embedding", "distribution", frozenset({"conditioning_augmentation"})),
    Comparison("noise_mode_seeking", "distribution", NOISE | {"conditioning_augmentation"}),
    Comparison("noise", "distribution", NOISE | {"conditioning_augmentation"}, unless="noise_mode_seeking"),
    Comparison("noise_mode_seeking", "distribution_noise", frozenset({"conditioning_augmentation"})),
)


def changed_keys(before: Experiment, after: Experiment) -> set[str]:
    return {change["key"].split(".")[0] for change in changes(before.settings, after.settings)}


def check_arms(config: dict, resolved: dict[str, Experiment]) -> dict[str, dict[str, str]]:
    """The config's arms (name -> role -> experiment, in the roles' order), but those naming an
    experiment that does not run (`run_only`); a ConfigError names an unknown role or
    experiment, arms on two data sets, or two arms compared here that differ in more than their
    comparison may change (the page would credit one ingredient with another's effect)."""
    arms = {}
    for name, roles in (config.get("arms") or {}).items():
        for role, exp in roles.items():
            if role not in ROLES:
                raise ConfigError(f"config: arms.{name}.{role} is no role; roles: {', '.join(ROLES)}")
            if exp not in config["experiments"]:
                raise ConfigError(f"config: arms.{name}.{role} names unknown experiment {exp!r}")
        if not set(roles.values()) <= set(resolved):
            continue  # run_only leaves an arm out
        datasets = {resolved[exp].settings.dataset for exp in roles.values()}
        if len(datasets) > 1:
            raise ConfigError(f"config: arms.{name} trains on several data sets: {', '.join(sorted(datasets))}")
        for comparison in comparisons(roles):
            before, after = resolved[roles[comparison.before]], resolved[roles[comparison.after]]
            extra = changed_keys(before, after) - comparison.changed
            if extra:
                raise ConfigError(
                    f"config: arms.{name}: {after.name} ({comparison.after}) must differ from {before.name} "
                    f"({comparison.before}) in {' or '.join(sorted(comparison.changed))} only; it also "
                    f"changes {', '.join(sorted(extra))}"
                )
        arms[name] = {role: roles[role] for role in ROLES if role in roles}
    return arms


def comparisons(roles: dict[str, str]) -> list[Comparison]:
    """The comparisons whose two roles both have an arm (and whose better reference has none)."""
    return [c for c in COMPARISONS if c.before in roles and c.after in roles and c.unless not in roles]


def seeds_of(config: dict, exp: str) -> list[int]:
    """The seeds an experiment trains on: its own `seeds`, else the config's, else its `seed`."""
    return config["experiments"][exp].get("seeds") or config.get("seeds") or [merged_experiment(config, exp).get("seed", 0)]


def sweep_name(exp: str, weight: float) -> str:
    """The experiment of an arm at one weight of its KL sweep: cgan_mnist_ca_kl0p2."""
    return f"{exp}_kl{weight:g}".replace(".", "p").replace("+", "")


def sweep_runs(config: dict) -> dict[str, dict]:
    """The KL sweeps (config `kl_sweeps`: a set of arms -> the sweep's seed and weights): per set,
    its `seed` and its `runs`: per role with conditioning augmentation, weight -> its experiment
    (sweep_experiments). A
    ConfigError names a sweep of no set of arms or of one without such a role, weights that span
    less than two decades, and a seed that one of the set's arms trains on (the rule that picks
    the weight reads the sweep's seed only, none of the seeds the arms are judged on)."""
    found = {}
    for name, sweep in (config.get("kl_sweeps") or {}).items():
        roles = (config.get("arms") or {}).get(name)
        if roles is None:
            raise ConfigError(f"config: kl_sweeps.{name} names no set of arms (no arms.{name})")
        augmented = [role for role in AUGMENTED_ROLES if role in roles]
        if not augmented:
            raise ConfigError(f"config: kl_sweeps.{name}: arms.{name} has no {' or '.join(AUGMENTED_ROLES)} arm")
        weights = sorted(sweep["weights"])
        if weights[0] <= 0 or weights[-1] < 100 * weights[0]:
            raise ConfigError(
                f"config: kl_sweeps.{name}.weights {weights} must be positive and span at least two decades "
                "(the largest at least 100 times the smallest)"
            )
        for exp in roles.values():
            if exp not in config["experiments"]:
                continue  # named by check_arms
            own = seeds_of(config, exp)
            if sweep["seed"] in own:
                raise ConfigError(
                    f"config: kl_sweeps.{name}.seed {sweep['seed']} is one of {exp}'s seeds {own}: the sweep "
                    "picks the weight on a seed none of the arms uses"
                )
        found[name] = {"seed": sweep["seed"], "runs": {}}
        for role in augmented:
            found[name]["runs"][role] = {float(w): sweep_name(roles[role], w) for w in weights}
    return found


def sweep_experiments(config: dict) -> dict[str, dict]:
    """The KL sweeps' runs as config entries: each based on its arm, at one weight, trained once
    on the sweep's seed."""
    entries = {}
    for name, sweep in sweep_runs(config).items():
        seed = sweep["seed"]
        for role, by_weight in sweep["runs"].items():
            exp = (config["arms"][name])[role]
            for weight, sweep_exp in by_weight.items():
                if sweep_exp in config["experiments"]:
                    raise ConfigError(f"config: experiments.{sweep_exp} is the name of a KL sweep's run")
                entries[sweep_exp] = {  # one run, on the sweep's seed alone (whatever the config's `seeds`)
                    "based_on": exp, "seed": seed, "seeds": [seed], "conditioning_augmentation": {"kl_weight": weight},
                    "title": f"{exp} at KL weight {weight:g} (the {name} KL sweep, seed {seed})",
                }
    return entries
