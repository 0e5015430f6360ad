"""Checks each sample's calls against its planted SNPs and gathers one JSON summary.

For every sample: the SNPs expected, found, missed and called but not planted, recall and
precision, and FastQC's verdict per module. Snakemake runs this as the `summary` rule's
script; from a shell: `python summarize.py --sample s1 --truth s1.truth.tsv --vcf s1.vcf
--qc s1_fastqc.zip [--sample s2 ...] --out variants.json`.
"""

import argparse
import json
import zipfile


def truth_snps(path: str) -> set[tuple[int, str, str]]:
    with open(path) as table:
        next(table)
        return {(int(p), ref, alt) for p, ref, alt in (line.split() for line in table)}


def called_snps(path: str) -> set[tuple[int, str, str]]:
    calls = set()
    with open(path) as vcf:
        for line in vcf:
            if line.startswith("#"):
                continue
            _chrom, position, _id, ref, alts, *_ = line.split("\t")
            calls |= {(int(position), ref, alt) for alt in alts.split(",")}
    return calls


def fastqc_verdicts(path: str) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/summary.txt"))
        rows = archive.read(name).decode().splitlines()
    return {module: verdict for verdict, module, _file in (row.split("\t") for row in rows)}


def as_dicts(snps: set[tuple[int, str, str]]) -> list[dict[str, object]]:
    return [{"position": p, "ref": r, "alt": a} for p, r, a in sorted(snps)]


def summarize(sample: str, truth: str, vcf: str, qc: str) -> dict[str, object]:
    expected, called = truth_snps(truth), called_snps(vcf)
    found = expected & called
    return {
        "expected": len(expected),
        "found": len(found),
        "recall": round(len(found) / len(expected), 4) if expected else 1.0,
        "precision": round(len(found) / len(called), 4) if called else 1.0,
        "missed": as_dicts(expected - called),
        "unexpected": as_dicts(called - expected),
        "calls": as_dicts(called),
        "fastqc": fastqc_verdicts(qc),
    }


def main(samples: list[str], truths: list[str], vcfs: list[str], qcs: list[str], out: str):
    report = {
        "samples": {
            sample: summarize(sample, truth, vcf, qc)
            for sample, truth, vcf, qc in zip(samples, truths, vcfs, qcs, strict=True)
        }
    }
    with open(out, "w") as result:
        json.dump(report, result, indent=2)


if "snakemake" in globals():
    main(
        snakemake.params.samples,  # noqa: F821 - Snakemake's script preamble
        list(snakemake.input.truth),  # noqa: F821
        list(snakemake.input.vcf),  # noqa: F821
        list(snakemake.input.qc),  # noqa: F821
        snakemake.output[0],  # noqa: F821
    )
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    for flag in ("--sample", "--truth", "--vcf", "--qc"):
        parser.add_argument(flag, action="append", required=True)
    parser.add_argument("--out", required=True)
    a = parser.parse_args()
    main(a.sample, a.truth, a.vcf, a.qc, a.out)
