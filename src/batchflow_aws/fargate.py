"""The vCPU and memory pairs AWS Fargate accepts."""

FARGATE_MEMORY_MIB: dict[float, tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1.0: tuple(range(2048, 8192 + 1, 1024)),
    2.0: tuple(range(4096, 16384 + 1, 1024)),
    4.0: tuple(range(8192, 30720 + 1, 1024)),
    8.0: tuple(range(16384, 61440 + 1, 4096)),
    16.0: tuple(range(32768, 122880 + 1, 8192)),
}


def fargate_memory_choices(vcpus: float) -> tuple[int, ...]:
    """Memory sizes (MiB) Fargate allows for `vcpus`; empty when `vcpus` is not a Fargate size."""
    return FARGATE_MEMORY_MIB.get(float(vcpus), ())


def describe_fargate_choices(vcpus: float) -> str:
    choices = fargate_memory_choices(vcpus)
    if not choices:
        sizes = ", ".join(f"{v:g}" for v in FARGATE_MEMORY_MIB)
        return f"valid vCPU values: {sizes}"
    step = choices[1] - choices[0]
    return f"valid memory for {vcpus:g} vCPU: {choices[0]}-{choices[-1]} MiB in {step} MiB steps"


def round_up_to_fargate(vcpus: float, memory_mib: int) -> tuple[float, int] | None:
    """The smallest valid Fargate (vCPU, MiB) at least as large as asked; None if none is."""
    for size, choices in FARGATE_MEMORY_MIB.items():
        if size < vcpus:
            continue
        fitting = [memory for memory in choices if memory >= memory_mib]
        if fitting:
            return size, fitting[0]
    return None
