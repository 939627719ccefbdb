"""The channel modules of the test server: the `room:*` app of the captures and a Supabase-Realtime-like
`realtime:*` channel so the `realtime` Python client can join and broadcast.

Why these events: they are exactly what the real Phoenix 1.7.24 app in /work/shared/captures did, so the
server's replies can be checked byte for byte against the captures.
"""

from __future__ import annotations

import itertools
from typing import Any

from phx_serializer import ClientMessage
from phx_socket import Channel, PhxSocket

SLOW_DELAY = 0.2
# The first join of realtime:slow-join on a socket takes this long (by default; --slow-join-ms): past the 10 s
# join timeout of phoenix.js and realtime, so a client's handling of a join timeout shows on the wire (its
# phx_leave, or none, and its rejoin).
SLOW_JOIN_TOPIC = "realtime:slow-join"
SLOW_JOIN_DELAY = 10.5


class RoomChannel:
    """`room:*`: join replies `{"joined": topic}`, pushes `welcome`, tracks presence; events per the README."""

    def join(self, socket: PhxSocket, channel: Channel, payload: Any) -> tuple[str, Any]:
        """`room:private` refuses; every other room accepts."""
        if channel.topic == "room:private":
            return "error", {"reason": "unauthorized"}
        return "ok", {"joined": channel.topic}

    def after_join(self, socket: PhxSocket, channel: Channel, payload: Any) -> None:
        """welcome push, Presence.track (diff broadcast), then the presence_state push: the capture order."""
        name = payload.get("name", "anonymous") if isinstance(payload, dict) else "anonymous"
        name = name if isinstance(name, str) else str(name)
        socket.push(channel, "welcome", {"msg": f"hello {name}"})
        socket.hub.track(channel, name)
        socket.push(channel, "presence_state", socket.hub.state(channel.topic))

    def handle_in(self, socket: PhxSocket, channel: Channel, msg: ClientMessage) -> None:
        """The app's `handle_in/3` clauses; an unknown event has no clause and crashes the channel."""
        event, payload, ref = msg.event, msg.payload, msg.ref
        if event == "ping":
            socket.reply(channel, ref, "ok", payload)
        elif event == "fail":
            socket.reply(channel, ref, "error", {"reason": "nope"})
        elif event == "new_msg":
            socket.hub.broadcast(channel.topic, "new_msg", payload)
        elif event == "slow":
            socket.later(SLOW_DELAY, lambda: socket.reply(channel, ref, "ok", {"echo": payload, "slow": True}))
        elif event == "bin":
            socket.push(channel, "bin_push", payload)
            socket.reply(channel, ref, "ok", payload)
        elif event == "bin_bcast":
            socket.hub.broadcast(channel.topic, "bin_bcast", payload)
        elif event == "stop":
            socket.drop(channel, "phx_close")
        else:  # "crash" raises in the app; so does any event without a clause
            socket.drop(channel, "phx_error")


class RealtimeChannel:
    """`realtime:*`: the subset of Supabase Realtime that the `realtime` client uses (broadcast with the
    `self`/`ack` options, presence track/untrack, access_token). No Postgres changes."""

    _anon = itertools.count(1)

    def __init__(self, slow_join_delay: float = SLOW_JOIN_DELAY) -> None:
        self.slow_join_delay = slow_join_delay

    def join(self, socket: PhxSocket, channel: Channel, payload: Any) -> tuple[str, Any]:
        """Accept and remember the join config."""
        config = payload.get("config", {}) if isinstance(payload, dict) else {}
        channel.assigns["config"] = config if isinstance(config, dict) else {}
        return "ok", {"postgres_changes": []}

    def join_delay(self, socket: PhxSocket, topic: str) -> float:
        """`realtime:slow-join`: the socket's first join of it is slow; the later ones are not."""
        if topic != SLOW_JOIN_TOPIC or topic in socket.slow_joined:
            return 0.0
        socket.slow_joined.add(topic)
        return self.slow_join_delay

    def after_join(self, socket: PhxSocket, channel: Channel, payload: Any) -> None:
        """Supabase pushes presence_state after the join when presence is enabled."""
        presence = channel.assigns["config"].get("presence") or {}
        if isinstance(presence, dict) and presence.get("enabled"):
            socket.push(channel, "presence_state", socket.hub.state(channel.topic))

    def handle_in(self, socket: PhxSocket, channel: Channel, msg: ClientMessage) -> None:
        """broadcast, presence and access_token events."""
        config = channel.assigns["config"]
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if msg.event == "broadcast":
            opts = config.get("broadcast") or {}
            socket.hub.broadcast(channel.topic, "broadcast", payload,
                                 exclude=None if opts.get("self") else channel)
            if opts.get("ack"):
                socket.reply(channel, msg.ref, "ok", {})
        elif msg.event == "presence":
            if payload.get("event") == "untrack":
                socket.hub.untrack(channel)
            else:
                key = (config.get("presence") or {}).get("key") or f"anon-{next(self._anon)}"
                meta = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
                socket.hub.untrack(channel)
                socket.hub.track(channel, key, meta)
            socket.reply(channel, msg.ref, "ok", {})
        elif msg.event == "access_token":
            pass  # Supabase answers nothing
        else:
            socket.reply(channel, msg.ref, "ok", {})


def default_routes(slow_join_delay: float = SLOW_JOIN_DELAY) -> list[tuple[str, Any]]:
    """The socket's `channel` routes: anything else is an unmatched topic."""
    return [("room:", RoomChannel()), ("realtime:", RealtimeChannel(slow_join_delay))]
