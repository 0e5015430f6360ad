"""Merges the fetched sequences and their alignment into one JSON result: per sequence its
region, length and aligned row, and the alignment's length and column identity."""

import json


def read_fasta(path: str) -> dict[str, str]:
    records: dict[str, list[str]] = {}
    name = None
    with open(path) as fasta:
        for line in fasta:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0]
                records[name] = []
            elif line and name is not None:
                records[name].append(line)
    return {name: "".join(parts) for name, parts in records.items()}


def identical_columns(rows: list[str]) -> int:
    return sum(len(set(column)) == 1 and column[0] != "-" for column in zip(*rows, strict=True))


def main(sequence_paths: list[str], alignment_path: str, regions: dict[str, str], out: str):
    sequences = {}
    for path in sequence_paths:
        sequences.update(read_fasta(path))
    aligned = read_fasta(alignment_path)
    width = len(next(iter(aligned.values())))
    result = {
        "sequences": [
            {
                "id": name,
                "region": regions[name],
                "length": len(sequence),
                "aligned": aligned[name],
            }
            for name, sequence in sequences.items()
        ],
        "alignment_length": width,
        "identical_columns": identical_columns(list(aligned.values())),
    }
    with open(out, "w") as report:
        json.dump(result, report, indent=2)


main(
    list(snakemake.input.sequences),  # noqa: F821 - Snakemake's script preamble
    snakemake.input.alignment,  # noqa: F821
    dict(snakemake.params.regions),  # noqa: F821
    snakemake.output[0],  # noqa: F821
)
