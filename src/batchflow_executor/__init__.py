"""batchflow's AWS Batch executor for Snakemake, and the local AWS it is tested against."""
