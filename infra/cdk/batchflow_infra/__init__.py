"""batchflow's AWS infrastructure: one construct per concern, composed by BatchflowStack."""
