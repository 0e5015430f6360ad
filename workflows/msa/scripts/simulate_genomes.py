"""Simulates related genomes: one random ancestor, and per species its own substitutions
(about 4%) and a few short insertions and deletions, all from the seed. Writes them as one
FASTA (`species1` ... `speciesN`) and its samtools index.
"""

import random
import subprocess

SUBSTITUTION_RATE = 0.04
INDELS = 4


def descend(ancestor: str, rng: random.Random) -> str:
    bases = [
        rng.choice([b for b in "ACGT" if b != base]) if rng.random() < SUBSTITUTION_RATE else base
        for base in ancestor
    ]
    for _ in range(INDELS):
        position, size = rng.randrange(len(bases)), rng.randint(1, 6)
        if rng.random() < 0.5:
            del bases[position : position + size]
        else:
            bases[position:position] = rng.choices("ACGT", k=size)
    return "".join(bases)


def main(species: int, length: int, seed: int, fasta_path: str) -> None:
    rng = random.Random(f"genomes-{seed}")
    ancestor = "".join(rng.choices("ACGT", k=length))
    with open(fasta_path, "w") as fasta:
        for number in range(1, species + 1):
            genome = descend(ancestor, rng)
            fasta.write(f">species{number}\n")
            for start in range(0, len(genome), 60):
                fasta.write(genome[start : start + 60] + "\n")
    subprocess.run(["samtools", "faidx", fasta_path], check=True)


main(
    snakemake.params.species,  # noqa: F821 - Snakemake's script preamble
    snakemake.params.length,  # noqa: F821
    snakemake.params.seed,  # noqa: F821
    snakemake.output.fasta,  # noqa: F821
)
