"""The batchflow run service: REST and GA4GH WES APIs over runs, engines, a store."""
