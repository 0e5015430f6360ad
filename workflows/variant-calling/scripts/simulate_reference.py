"""Writes a random reference sequence, the same for the same seed and length.

Snakemake runs this as the `reference` rule's script; Nextflow (or a person) runs it as
`python simulate_reference.py --length 10000 --seed 7 --out reference.fa`.
"""

import argparse
import random


def reference(length: int, seed: int) -> str:
    return "".join(random.Random(f"reference-{seed}").choices("ACGT", k=length))


def write_fasta(path: str, name: str, sequence: str, width: int = 60) -> None:
    with open(path, "w") as fasta:
        fasta.write(f">{name}\n")
        for start in range(0, len(sequence), width):
            fasta.write(sequence[start : start + width] + "\n")


def main(length: int, seed: int, out: str) -> None:
    write_fasta(out, "chr1", reference(length, seed))


if "snakemake" in globals():
    simulation = snakemake.params.simulation  # noqa: F821 - Snakemake's script preamble
    main(simulation["reference_length"], simulation["seed"], snakemake.output[0])  # noqa: F821
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    main(arguments.length, arguments.seed, arguments.out)
