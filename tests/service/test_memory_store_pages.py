"""The in-memory store pages through its creation index: every page is exactly what sorting
and filtering every run would give, whatever the order the runs arrived in."""

import asyncio
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from batchflow_service.models import Run
from batchflow_service.states import RunState
from batchflow_service.store import MemoryStore

START = datetime(2026, 1, 1, tzinfo=UTC)
STATES = [RunState.QUEUED, RunState.RUNNING, RunState.COMPLETE]

runs = st.lists(
    st.builds(
        lambda second, index, state, owner, team: Run(
            id=f"{index:032x}",
            workflow="demo",
            engine="mock",
            state=state,
            owner=owner,
            tags={"team": team},
            created_at=START + timedelta(seconds=second),
        ),
        second=st.integers(0, 20),  # created in the same second: the id breaks the tie
        index=st.integers(0, 10**6),
        state=st.sampled_from(STATES),
        owner=st.sampled_from(["ann", "bob"]),
        team=st.sampled_from(["a", "b"]),
    ),
    unique_by=lambda run: run.id,
    max_size=40,
)


def expected_page(stored, state, owner, team, before, limit):
    newest_first = sorted(stored, key=lambda r: (r.created_at, r.id), reverse=True)
    return [
        run.id
        for run in newest_first
        if (state is None or run.state == state)
        and (owner is None or run.owner == owner)
        and (team is None or run.tags["team"] == team)
        and (before is None or (run.created_at, run.id) < before)
    ][:limit]


@settings(max_examples=200, deadline=None)
@given(
    stored=runs,
    state=st.none() | st.sampled_from(STATES),
    owner=st.none() | st.sampled_from(["ann", "bob"]),
    team=st.none() | st.sampled_from(["a", "b"]),
    cursor=st.none() | st.integers(0, 39),
    limit=st.integers(1, 10),
)
def test_a_page_is_what_sorting_and_filtering_every_run_gives(
    stored, state, owner, team, cursor, limit
) -> None:
    before = None
    if cursor is not None and stored:
        last_seen = stored[cursor % len(stored)]
        before = (last_seen.created_at, last_seen.id)

    async def page() -> list[str]:
        store = MemoryStore()
        for run in stored:
            await store.create_run(run)
        listed = await store.list_runs(
            state=state,
            owner=owner,
            tags={"team": team} if team else None,
            before=before,
            limit=limit,
        )
        return [run.id for run in listed]

    assert asyncio.run(page()) == expected_page(stored, state, owner, team, before, limit)
