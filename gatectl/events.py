"""The gate's one subscription interface: what happens goes out as :class:`GateEvent`, commands come in as
:class:`Command`. The web pages and the test rig use only this.

Event kinds (``GateEvent.kind``) and their ``data``:

* ``state``: ``state``, ``previous``, ``trigger``, ``transaction`` (id or None), ``problem`` (code or None),
  ``deadline_s``
* ``instruction``: ``key`` (a message key for the kiosk, never prose), ``state``
* ``referral``: ``transaction``, ``reasons`` (list of ``{code, message, rule}``), ``evidence`` (check
  results, match distance and threshold, PAD score, list hits; never images or templates)
* ``decision``: ``transaction``, ``outcome`` ("admit" | "refer" | "refuse" | "interrupted" | "abandoned"),
  ``reasons``
* ``door``: ``entry_released``, ``exit_released``, ``reason``; ``alarm`` when the fire alarm released them
* ``device``: ``device``, ``ok``, ``detail``
* ``command``: ``name``, ``actor``, ``role``, ``reason``, ``accepted``, ``detail``

Subscribers get events in publication order; a slow subscriber's queue drops its oldest events rather than
holding the gate up (``Subscription.dropped`` counts them).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

EVENT_KINDS = ("state", "instruction", "referral", "decision", "door", "device", "command")
COMMANDS = ("admit", "refuse", "retry_document", "retry_face", "maintenance", "out_of_service", "resume",
            "door")
ROLES = ("officer", "technician")
log = logging.getLogger(__name__)
OFFICER_COMMANDS = ("admit", "refuse", "retry_document", "retry_face")  # a traveller's case: officers only


@dataclass(frozen=True)
class GateEvent:
    kind: str
    data: dict[str, Any]
    seq: int
    at: float  # time.time()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "at": self.at, **self.data}


@dataclass(frozen=True)
class Command:
    """An officer's or technician's command; every one is audited with its actor and reason.

    ``door`` takes ``args = {"door": "entry"|"exit", "release": bool}`` and is accepted only in maintenance.
    """

    name: str
    actor: str
    role: str
    reason: str
    args: dict[str, Any] = field(default_factory=dict)

    def problem(self) -> str | None:
        """Why the command is malformed (None if it is well-formed)."""
        if self.name not in COMMANDS:
            return f"unknown command {self.name!r} (expected one of {', '.join(COMMANDS)})"
        if self.role not in ROLES:
            return f"unknown role {self.role!r} (expected one of {', '.join(ROLES)})"
        if not isinstance(self.actor, str) or not self.actor.strip():
            return "a command needs the actor's id"
        if not isinstance(self.reason, str) or not self.reason.strip():
            return "a command needs a reason"
        if self.name in OFFICER_COMMANDS and self.role != "officer":
            return f"{self.name} is an officer's decision"
        if self.name == "door" and (self.args.get("door") not in ("entry", "exit")
                                    or not isinstance(self.args.get("release"), bool)):
            return "door needs door=entry|exit and release=true|false"
        return None


@dataclass(frozen=True)
class CommandResult:
    accepted: bool
    detail: str
    state: str


class Subscription:
    """A bounded queue of events for one subscriber; iterate it, or :meth:`get` with a timeout."""

    def __init__(self, bus: EventBus, kinds: frozenset[str] | None, maxsize: int) -> None:
        self._bus = bus
        self.kinds = kinds
        self._queue: queue.Queue[GateEvent] = queue.Queue(maxsize)
        self.dropped = 0

    def _offer(self, event: GateEvent) -> None:
        if self.kinds is not None and event.kind not in self.kinds:
            return
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout: float | None = None) -> GateEvent | None:
        """The next event, or None if none came within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, predicate: Callable[[GateEvent], bool], timeout: float) -> GateEvent | None:
        """The first event (from now on) satisfying ``predicate``; None if none within ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.get(left)
            if event is not None and predicate(event):
                return event
        return None

    def __iter__(self) -> Iterator[GateEvent]:
        while True:
            event = self.get()
            if event is not None:
                yield event

    def close(self) -> None:
        self._bus._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Publish/subscribe within one process; thread-safe."""

    def __init__(self, history: int = 200) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._callbacks: list[Callable[[GateEvent], None]] = []
        self._seq = itertools.count(1)
        self._history: list[GateEvent] = []
        self._history_size = history

    def subscribe(self, kinds: Iterable[str] | None = None, maxsize: int = 1000) -> Subscription:
        wanted = None if kinds is None else frozenset(kinds)
        if wanted is not None and not wanted <= set(EVENT_KINDS):
            raise ValueError(f"unknown event kinds {sorted(wanted - set(EVENT_KINDS))}")
        sub = Subscription(self, wanted, maxsize)
        with self._lock:
            self._subs.append(sub)
        return sub

    def on_event(self, callback: Callable[[GateEvent], None]) -> None:
        """Call ``callback(event)`` from the publishing thread; it must return quickly and not raise."""
        with self._lock:
            self._callbacks.append(callback)

    def publish(self, kind: str, **data: Any) -> GateEvent:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        with self._lock:
            event = GateEvent(kind, data, next(self._seq), time.time())
            self._history.append(event)
            del self._history[: -self._history_size]
            subs, callbacks = list(self._subs), list(self._callbacks)
        for sub in subs:
            sub._offer(event)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the gate
                log.exception("event callback failed")
        return event

    def recent(self, kinds: Iterable[str] | None = None) -> list[GateEvent]:
        """The last events published (up to ``history``), oldest first."""
        wanted = None if kinds is None else set(kinds)
        with self._lock:
            return [e for e in self._history if wanted is None or e.kind in wanted]

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
