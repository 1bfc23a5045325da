"""The mutation score of each mutated module after `mutmut run`, and whether all clear a floor.

mutmut prints one score for the whole run; a module with few mutants would hide behind the
others. This reads what mutmut left in `mutants/` (a `<module>.py.meta` per mutated module) and
fails when any module's share of killed mutants is under the threshold.

    python tools/mutation_score.py [--threshold 90] [--mutants mutants]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code

# A mutant a test failed on, ran too long under, or the type checker refused is one the
# project notices. "no tests" and "survived" are not; "skipped" mutants are not counted at all.
_NOTICED = frozenset({"killed", "timeout", "caught by type check"})
_UNCOUNTED = frozenset({"skipped"})


@dataclass(frozen=True)
class ModuleScore:
    module: str
    killed: int
    total: int
    missed: Counter[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


def module_scores(mutants: Path) -> list[ModuleScore]:
    """One score per module mutmut recorded results for, by module path."""
    scores = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = Counter(status_by_exit_code[code] for code in exit_codes.values())
        counted = {s: n for s, n in statuses.items() if s not in _UNCOUNTED}
        scores.append(
            ModuleScore(
                module=str(meta.relative_to(mutants).with_suffix("")),
                killed=sum(n for s, n in counted.items() if s in _NOTICED),
                total=sum(counted.values()),
                missed=Counter({s: n for s, n in counted.items() if s not in _NOTICED}),
            )
        )
    return scores


def report(scores: list[ModuleScore], threshold: float) -> str:
    width = max((len(score.module) for score in scores), default=0)
    rows = []
    for score in scores:
        missed = ", ".join(f"{n} {status}" for status, n in sorted(score.missed.items()))
        flag = "" if score.percent >= threshold else f"  below {threshold:g}%"
        rows.append(
            f"{score.module:<{width}}  {score.killed:>4} / {score.total:<4} "
            f"{score.percent:5.1f}%  {missed or '-'}{flag}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=90.0, help="percent killed, per module")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's directory")
    arguments = parser.parse_args(argv)
    scores = module_scores(arguments.mutants)
    if not scores:
        print(f"No mutation results under {arguments.mutants}/: run `mutmut run` first.")
        return 2
    print(report(scores, arguments.threshold))
    below = [score.module for score in scores if score.percent < arguments.threshold]
    if below:
        print(
            f"Under {arguments.threshold:g}% killed: {', '.join(below)}. "
            "`.venv/bin/mutmut results` lists the mutants no test noticed, "
            "`.venv/bin/mutmut show <name>` shows one."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
