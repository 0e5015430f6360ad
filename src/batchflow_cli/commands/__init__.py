"""One module per `batchflow` command (or group of commands); main.py registers them."""
