"""The batchflow run service and the `batchflow` command line."""
