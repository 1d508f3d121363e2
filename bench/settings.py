"""How big and how often: the full run (`make bench`) and the tiny one the smoke test uses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    work_dir: Path
    startup_repetitions: int = 15
    # Resource changes per generated plan → repetitions at that size (fewer for the big ones: ~10 min budget).
    review_sizes: tuple[tuple[int, int], ...] = ((1_000, 5), (10_000, 4), (50_000, 3))
    markdown_sizes: tuple[int, ...] = (10_000, 50_000)
    migrations: int = 500
    migration_repetitions: int = 2
    plan_repetitions: int = 3
    # Environments for B5 (B7 rolls back the last one); with the sandbox's DB instance or without.
    plan_environments: int = 3
    sandbox_database: bool = True
    rollback_repetitions: int = 5
    offline_repetitions: int = 3
    # B11: size of one generated migration file in MB → repetitions at that size.
    load_sizes_mb: tuple[tuple[float, int], ...] = ((2, 5), (8, 3), (50, 3))
    # B12: size of one run of letters or hex for the secret scanner in KB → repetitions at that size.
    scan_sizes_kb: tuple[tuple[int, int], ...] = ((1024, 3), (4096, 2), (8192, 2))
    # B14: apply-from-empty runs of the real root per side (each creates ~109 resources on a fresh emulator; 0 skips).
    apply_local_repetitions: int = 1
    # `--only`: the row ids asked for (empty: all); a case measuring several rows skips the others.
    only: frozenset[str] = frozenset()

    def wants(self, row_id: str) -> bool:
        return not self.only or row_id in self.only

    @classmethod
    def quick(cls, work_dir: Path) -> Settings:
        """Tiny sizes, one or two repetitions: proves every case runs, measures nothing worth reading."""
        return cls(work_dir=work_dir, startup_repetitions=2, review_sizes=((50, 1), (200, 1)),
                   markdown_sizes=(200,), migrations=5, migration_repetitions=1, plan_repetitions=1,
                   plan_environments=2, sandbox_database=False, rollback_repetitions=1, apply_local_repetitions=0,
                   offline_repetitions=1, load_sizes_mb=((0.05, 1), (0.2, 1)),
                   scan_sizes_kb=((8, 1), (32, 1)))

    def with_work_dir(self, work_dir: Path) -> Settings:
        work_dir.mkdir(parents=True, exist_ok=True)
        return replace(self, work_dir=work_dir)
