"""Simulates one sample: plants SNPs in the reference and draws single-end reads from it.

The SNPs are written as the truth (1-based position, reference base, sample base), so the
pipeline's calls can be checked. Everything follows from the seed and the sample name.
Snakemake runs this as the `reads` rule's script; from a shell:
`python simulate_reads.py --reference reference.fa --sample s1 --reads 2000 --read-length 100
 --snps 8 --seed 7 --fastq s1.fastq.gz --truth s1.truth.tsv`.
"""

import argparse
import gzip
import random

COMPLEMENT = str.maketrans("ACGT", "TGCA")
MARGIN = 150
SPACING = 50


def read_fasta(path: str) -> str:
    with open(path) as fasta:
        return "".join(line.strip() for line in fasta if not line.startswith(">"))


def plant_snps(reference: str, count: int, rng: random.Random) -> dict[int, str]:
    """0-based position -> new base, kept apart so every SNP is called on its own."""
    snps: dict[int, str] = {}
    while len(snps) < count:
        position = rng.randrange(MARGIN, len(reference) - MARGIN)
        if all(abs(position - other) >= SPACING for other in snps):
            snps[position] = rng.choice([b for b in "ACGT" if b != reference[position]])
    return snps


def main(
    reference_path: str,
    sample: str,
    reads: int,
    read_length: int,
    snps: int,
    seed: int,
    fastq_path: str,
    truth_path: str,
) -> None:
    reference = read_fasta(reference_path)
    if len(reference) < 2 * MARGIN + SPACING * snps:
        raise SystemExit(f"a {len(reference)} bp reference is too short for {snps} SNPs")
    rng = random.Random(f"{sample}-{seed}")
    planted = plant_snps(reference, snps, rng)
    genome = list(reference)
    for position, base in planted.items():
        genome[position] = base
    genome = "".join(genome)
    with gzip.GzipFile(fastq_path, "wb", mtime=0) as fastq:
        for index in range(reads):
            start = rng.randrange(0, len(genome) - read_length + 1)
            read = genome[start : start + read_length]
            if rng.random() < 0.5:
                read = read.translate(COMPLEMENT)[::-1]
            quality = "".join(chr(33 + rng.randint(30, 40)) for _ in range(read_length))
            record = f"@{sample}-{index}\n{read}\n+\n{quality}\n"
            fastq.write(record.encode())
    with open(truth_path, "w") as truth:
        truth.write("position\tref\talt\n")
        for position in sorted(planted):
            truth.write(f"{position + 1}\t{reference[position]}\t{planted[position]}\n")


if "snakemake" in globals():
    simulation = snakemake.params.simulation  # noqa: F821 - Snakemake's script preamble
    main(
        snakemake.input[0],  # noqa: F821
        snakemake.wildcards.sample,  # noqa: F821
        simulation["reads"],
        simulation["read_length"],
        simulation["snps"],
        simulation["seed"],
        snakemake.output.reads,  # noqa: F821
        snakemake.output.truth,  # noqa: F821
    )
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--sample", required=True)
    parser.add_argument("--reads", type=int, required=True)
    parser.add_argument("--read-length", type=int, required=True)
    parser.add_argument("--snps", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--fastq", required=True)
    parser.add_argument("--truth", required=True)
    a = parser.parse_args()
    main(a.reference, a.sample, a.reads, a.read_length, a.snps, a.seed, a.fastq, a.truth)
