"""The gate's subscription interface on its own: commands are checked, subscribers never hold the gate up."""

from __future__ import annotations

import threading

from gatectl.events import Command, EventBus


def test_commands_need_an_actor_a_role_and_a_reason() -> None:
    assert Command("admit", "officer-3", "officer", "checked by hand").problem() is None
    assert "reason" in (Command("admit", "officer-3", "officer", " ").problem() or "")
    assert "actor" in (Command("refuse", "", "officer", "x").problem() or "")
    assert "role" in (Command("refuse", "o", "visitor", "x").problem() or "")
    assert "unknown command" in (Command("open_sesame", "o", "officer", "x").problem() or "")
    assert "door" in (Command("door", "t", "technician", "test", {"door": "roof", "release": True}).problem() or "")
    assert Command("door", "t", "technician", "test", {"door": "exit", "release": False}).problem() is None
    assert "actor" in (Command("admit", None, "officer", "x").problem() or "")  # type: ignore[arg-type]


def test_only_an_officer_decides_a_travellers_case() -> None:
    for name in ("admit", "refuse", "retry_document", "retry_face"):
        assert "officer" in (Command(name, "tech-1", "technician", "x").problem() or ""), name
        assert Command(name, "officer-3", "officer", "x").problem() is None
    assert Command("maintenance", "tech-1", "technician", "camera cleaning").problem() is None


def test_subscribers_get_their_kinds_in_order_and_a_slow_one_loses_the_oldest() -> None:
    bus = EventBus(history=5)
    states = bus.subscribe(["state"])
    small = bus.subscribe(maxsize=2)
    seen: list[int] = []
    bus.on_event(lambda e: seen.append(e.seq))
    bus.on_event(lambda e: 1 / 0)  # a broken callback does not stop publishing
    for i in range(4):
        bus.publish("state", state=f"s{i}")
        bus.publish("door", entry_released=True)
    assert [states.get(0).data["state"] for _ in range(4)] == ["s0", "s1", "s2", "s3"]
    assert states.get(0.01) is None
    assert small.dropped == 6 and [small.get(0).kind, small.get(0).kind] == ["state", "door"]
    assert seen == list(range(1, 9)) and len(bus.recent()) == 5
    timer = threading.Timer(0.05, lambda: bus.publish("state", state="idle"))
    timer.start()
    assert states.wait_for(lambda e: e.data["state"] == "idle", 2) is not None
    states.close()
    bus.publish("state", state="x")
    assert states.get(0.01) is None


def test_every_command_but_door_is_a_trigger_of_the_state_table() -> None:
    from gatectl.events import COMMANDS
    from gatectl.machine import TRIGGERS

    assert set(COMMANDS) - {"door"} <= set(TRIGGERS)
