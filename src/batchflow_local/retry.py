"""retryStrategy: does a failed attempt run again?"""

from typing import Any


def _glob_matches(pattern: str, value: str | None) -> bool:
    """AWS's patterns; a field the attempt lacks is empty, so `*` ("for any reason") matches."""
    value = value or ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def _rule_matches(
    rule: dict[str, Any], status_reason: str | None, reason: str | None, exit_code: int | None
) -> bool:
    checks = (
        ("onStatusReason", status_reason),
        ("onReason", reason),
        ("onExitCode", None if exit_code is None else str(exit_code)),
    )
    return all(
        _glob_matches(rule[field], value) for field, value in checks if rule.get(field) is not None
    )


def should_retry(
    strategy: dict[str, Any] | None,
    attempts_made: int,
    status_reason: str | None,
    reason: str | None,
    exit_code: int | None,
) -> bool:
    """AWS's rule: the first matching evaluateOnExit entry decides; none matching means retry."""
    if not strategy or attempts_made >= strategy.get("attempts", 1):
        return False
    for rule in strategy.get("evaluateOnExit", []):
        if _rule_matches(rule, status_reason, reason, exit_code):
            return rule["action"].upper() == "RETRY"
    return True
