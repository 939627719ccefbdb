"""The transport-independent part of a Phoenix socket: `Phoenix.Socket.handle_in/4` dispatch.

Why separate from the transports: WebSocket and LongPoll connections share every rule of PROTOCOL.md 4.3
(heartbeats, joins, duplicate joins, leaves, unmatched topics, stale join_refs); only how frames leave differs,
so a socket gets an `emit(is_binary, bytes)` callback and nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Callable, Protocol

import phx_serializer as ser
from phx_hub import Hub
from phx_serializer import ClientMessage, JsonRef, Reply

_uids = itertools.count(1)
Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    """'1.7' -> (1, 7, 0); '1.8.12' -> (1, 8, 12)."""
    parts = [int(p) for p in text.split(".")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def same_ref(a: JsonRef, b: JsonRef) -> bool:
    """Erlang term equality as Phoenix uses it: the string "1" and the number 1 differ, and so do 1 and true."""
    return type(a) is type(b) and a == b


class Behaviour(Protocol):
    """What a channel module implements (like a Phoenix.Channel)."""

    def join(self, socket: PhxSocket, channel: Channel, payload: Any) -> tuple[str, Any]: ...
    def after_join(self, socket: PhxSocket, channel: Channel, payload: Any) -> None: ...
    def handle_in(self, socket: PhxSocket, channel: Channel, msg: ClientMessage) -> None: ...

    # Optional: `leave_order() -> "close_first"` for modules that send phx_close before the leave reply
    # (LiveView); plain channels reply first. Optional: `join_delay(socket, topic) -> seconds`, how long
    # join/3 takes; the socket handles nothing else meanwhile, as Phoenix's socket process does not.


class Channel:
    """One joined topic on one socket (a channel process in Phoenix)."""

    def __init__(self, socket: PhxSocket, topic: str, join_ref: JsonRef, behaviour: Behaviour) -> None:
        self.uid = next(_uids)
        self.socket, self.topic, self.join_ref, self.behaviour = socket, topic, join_ref, behaviour
        self.alive = True
        self.assigns: dict[str, Any] = {}


class PhxSocket:
    """Per-connection channel table and message dispatch."""

    def __init__(self, hub: Hub, vsn: int, version: Version, emit: Callable[[bool, bytes], None],
                 routes: list[tuple[str, Behaviour]], params: dict[str, str]) -> None:
        self.hub, self.vsn, self.version, self.params = hub, vsn, version, params
        self._emit, self._routes = emit, routes
        self.channels: dict[str, Channel] = {}
        self.closed = False
        # Messages that arrived while a slow join/3 ran (the socket process's mailbox), or None.
        self._mailbox: list[ClientMessage] | None = None
        # Topics whose first join was slow on this socket (for `join_delay`).
        self.slow_joined: set[str] = set()

    # --- output ------------------------------------------------------------------------------------

    def send(self, join_ref: JsonRef, ref: JsonRef, topic: str, event: str, payload: Any) -> None:
        """Encode with this socket's serializer and emit one message."""
        if self.closed:
            return
        is_binary, data = ser.encode(self.vsn, join_ref, ref, topic, event, payload)
        if is_binary and self.vsn == 1:
            return  # V1 has no binary frames; Phoenix cannot encode this for a V1 client either
        self._emit(is_binary, data)

    def send_broadcast(self, topic: str, event: str, payload: Any, cache: dict[int, tuple[bool, bytes]]) -> None:
        """Deliver a fastlane broadcast, encoding once per serializer like Phoenix does."""
        if self.closed:
            return
        if self.vsn not in cache:
            cache[self.vsn] = ser.encode(self.vsn, None, None, topic, event, payload)
        is_binary, data = cache[self.vsn]
        if is_binary and self.vsn == 1:
            return
        self._emit(is_binary, data)

    def reply(self, channel: Channel, ref: JsonRef, status: str, response: Any) -> None:
        """A channel reply: join_ref is the channel's current J, whatever the push carried (1.7 behaviour)."""
        if channel.alive:
            self.send(channel.join_ref, ref, channel.topic, "phx_reply", Reply(status, response))

    def push(self, channel: Channel, event: str, payload: Any) -> None:
        """A channel push: `[J, null, topic, event, payload]`."""
        if channel.alive:
            self.send(channel.join_ref, None, channel.topic, event, payload)

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run `action` after `delay` seconds on the running loop (for the `slow` event)."""
        asyncio.get_running_loop().call_later(delay, action)

    # --- input -------------------------------------------------------------------------------------

    def handle_in(self, msg: ClientMessage) -> None:
        """Dispatch one client message following PROTOCOL.md 4.3 and the observed 1.7.24 behaviour."""
        if self._mailbox is not None:
            self._mailbox.append(msg)  # inside a slow join/3: handled once it returns
            return
        topic, event = msg.topic, msg.event
        if topic == "phoenix" and event == "heartbeat":
            self.send(None, msg.ref, "phoenix", "phx_reply", Reply("ok", {}))
            return
        current = self.channels.get(topic)
        if event == "phx_join":
            self._join(msg, current)
        elif current is None:
            if event == "phx_leave":
                self.send(msg.join_ref, msg.ref, topic, "phx_reply", Reply("ok", {}))
            else:
                self.send(None, msg.ref, topic, "phx_reply", Reply("error", {"reason": "unmatched topic"}))
        elif event == "phx_leave":
            if self._leave_accepted(msg.join_ref, current.join_ref):
                if getattr(current.behaviour, "leave_order", lambda: "reply_first")() == "close_first":
                    self.drop(current, "phx_close")
                    self.send(current.join_ref, msg.ref, current.topic, "phx_reply", Reply("ok", {}))
                else:
                    self.reply(current, msg.ref, "ok", {})
                    self.drop(current, "phx_close")
        elif self._forwarded(msg.join_ref, current.join_ref):
            current.behaviour.handle_in(self, current, msg)

    def _leave_accepted(self, sent: JsonRef, current: JsonRef) -> bool:
        # Up to 1.8.11 the guard accepted only the current J (null and stale leaves get no reply).
        if same_ref(sent, current):
            return True
        return sent is None and self.version >= (1, 8, 12)

    def _forwarded(self, sent: JsonRef, current: JsonRef) -> bool:
        if self.version < (1, 8, 3):
            return True  # 1.7: every message reaches the channel whatever its join_ref
        if same_ref(sent, current):
            return True
        return sent is None and self.version >= (1, 8, 12)

    def _route(self, topic: str) -> Behaviour | None:
        for prefix, behaviour in self._routes:
            if topic.startswith(prefix):
                return behaviour
        return None

    def _join(self, msg: ClientMessage, old: Channel | None) -> None:
        behaviour = self._route(msg.topic)
        if behaviour is None:
            self.send(None, msg.ref, msg.topic, "phx_reply", Reply("error", {"reason": "unmatched topic"}))
            return
        join_ref = msg.join_ref if msg.join_ref is not None else msg.ref
        if old is None and self.version >= (1, 8, 9) and len(self.channels) >= 100:
            self.send(join_ref, msg.ref, msg.topic, "phx_reply",
                      Reply("error", {"reason": "too many channels joined"}))
            return
        delay = getattr(behaviour, "join_delay", lambda socket, topic: 0.0)(self, msg.topic)
        if delay > 0:
            self._mailbox = []
            self.later(delay, lambda: self._finish_slow_join(msg, old, behaviour, join_ref))
            return
        self._complete_join(msg, old, behaviour, join_ref)

    def _finish_slow_join(self, msg: ClientMessage, old: Channel | None, behaviour: Behaviour,
                          join_ref: JsonRef) -> None:
        """join/3 returned: answer it, then handle what arrived meanwhile, in order."""
        waiting, self._mailbox = self._mailbox or [], None
        if self.closed:
            return
        self._complete_join(msg, old, behaviour, join_ref)
        for i, queued in enumerate(waiting):
            if self._mailbox is not None:  # another slow join started: the rest waits for it
                self._mailbox.extend(waiting[i:])
                return
            self.handle_in(queued)

    def _complete_join(self, msg: ClientMessage, old: Channel | None, behaviour: Behaviour,
                       join_ref: JsonRef) -> None:
        channel = Channel(self, msg.topic, join_ref, behaviour)
        status, response = behaviour.join(self, channel, msg.payload)
        if status == "ok":
            self.channels[msg.topic] = channel
            self.hub.subscribe(channel)
        self.send(join_ref, msg.ref, msg.topic, "phx_reply", Reply(status, response))
        if old is not None:
            # Observed on 1.7.24: the new join's reply comes before the old join's phx_close.
            self.drop(old, "phx_close")
        if status == "ok":
            behaviour.after_join(self, channel, msg.payload)

    # --- channel ends ------------------------------------------------------------------------------

    def drop(self, channel: Channel, event: str | None) -> None:
        """End a channel: emit phx_close/phx_error `[J, J, T, event, {}]` (None: the transport is gone), then
        unsubscribe and untrack so the others see the presence leave."""
        if not channel.alive:
            return
        if event is not None:
            self.send(channel.join_ref, channel.join_ref, channel.topic, event, {})
        channel.alive = False
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        self.hub.unsubscribe(channel)
        self.hub.untrack(channel)

    def terminate(self) -> None:
        """The transport closed: end every channel without sending anything."""
        for channel in list(self.channels.values()):
            self.drop(channel, None)
        self.closed = True
