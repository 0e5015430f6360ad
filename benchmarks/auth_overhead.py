"""What authentication costs a request: the service on a loopback port, one client making
sequential calls over a kept-alive connection.

    python benchmarks/auth_overhead.py --auth builtin --requests 2000
    python benchmarks/auth_overhead.py --auth none --requests 2000

With `builtin`, every request carries a session token (JWT verification, then the user is
read from the store to see that it is still enabled and what role it has); with `none`, no
check at all. Both list runs the caller may see, and fetch one run.
"""

import argparse
import secrets
import threading
import time

import httpx
import uvicorn

from batchflow_service.app import create_app
from batchflow_service.settings import Settings


def serve(settings: Settings) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auth", choices=["builtin", "none"], required=True)
    parser.add_argument("--requests", type=int, default=2000)
    options = parser.parse_args()

    password = secrets.token_urlsafe(16)
    settings = Settings(engines=["mock"], auth=options.auth, admin_password=password)
    server, url = serve(settings)
    with httpx.Client(base_url=url) as client:
        if options.auth == "builtin":
            answer = client.post("/auth/token", data={"username": "admin", "password": password})
            client.headers["Authorization"] = (
                f"Bearer {answer.raise_for_status().json()['access_token']}"
            )
        run = client.post(
            "/runs", json={"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0}}
        )
        run_id = run.raise_for_status().json()["id"]
        started = time.perf_counter()
        for index in range(options.requests):
            path = "/runs?page_size=10" if index % 2 else f"/runs/{run_id}"
            client.get(path).raise_for_status()
        elapsed = time.perf_counter() - started
    server.should_exit = True
    print(
        f"auth={options.auth}: {options.requests} requests in {elapsed:.2f} s, "
        f"{options.requests / elapsed:.0f} per second"
    )


if __name__ == "__main__":
    main()
