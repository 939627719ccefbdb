"""Server-wide state shared by all connections: PubSub subscriptions and Presence.

Why one object: broadcasts (`new_msg`, `presence_diff`, `bin_bcast`) must reach every socket joined to a
topic, whatever its transport or serializer; Phoenix does this with PubSub fastlane (no refs on the wire).
"""

from __future__ import annotations

import base64
import itertools
import struct
import time
from typing import TYPE_CHECKING, Any

from phx_json import HoldsOrdered, Ordered

if TYPE_CHECKING:
    from phx_socket import Channel


class Hub:
    """Subscriptions per topic (in join order) and tracked presences per topic."""

    def __init__(self, clock: Any = time.time) -> None:
        self._subs: dict[str, dict[int, Channel]] = {}
        self._presence: dict[str, list[tuple[str, Ordered, int]]] = {}
        self._counter = itertools.count(1)
        self._clock = clock

    # --- PubSub -------------------------------------------------------------------------------------

    def subscribe(self, channel: Channel) -> None:
        """Start delivering broadcasts for the channel's topic to its socket."""
        self._subs.setdefault(channel.topic, {})[channel.uid] = channel

    def unsubscribe(self, channel: Channel) -> None:
        """Stop delivering broadcasts to this channel."""
        subs = self._subs.get(channel.topic)
        if subs is not None:
            subs.pop(channel.uid, None)
            if not subs:
                del self._subs[channel.topic]

    def broadcast(self, topic: str, event: str, payload: Any, exclude: Channel | None = None) -> None:
        """Fastlane broadcast: `[null, null, topic, event, payload]` to every subscriber (encoded per serializer)."""
        cache: dict[int, tuple[bool, bytes]] = {}
        for channel in list(self._subs.get(topic, {}).values()):
            if channel is exclude:
                continue
            channel.socket.send_broadcast(topic, event, payload, cache)

    # --- Presence -----------------------------------------------------------------------------------

    def new_phx_ref(self) -> str:
        """A phx_ref shaped like Phoenix.Tracker's: base64url of <<time_ns::64, node_hash::16, counter::16>>."""
        raw = struct.pack(">QHH", time.time_ns(), 0x5246, next(self._counter) & 0xFFFF)
        return base64.urlsafe_b64encode(raw).decode()

    def track(self, channel: Channel, key: str, meta: dict[str, Any] | None = None) -> None:
        """Track `key` for this channel and broadcast the join diff (the tracker does this asynchronously in
        Phoenix; here it happens at once, which gives the order seen in the captures)."""
        m = Ordered(phx_ref=self.new_phx_ref())
        if meta is None:
            m["online_at"] = int(self._clock())
        else:
            m.update(meta)
        self._presence.setdefault(channel.topic, []).append((key, m, channel.uid))
        self.broadcast(channel.topic, "presence_diff", HoldsOrdered(joins={key: {"metas": [m]}}, leaves={}))

    def untrack(self, channel: Channel) -> None:
        """Drop the channel's presences and broadcast the leave diff to the remaining subscribers."""
        entries = self._presence.get(channel.topic, [])
        gone = [e for e in entries if e[2] == channel.uid]
        if not gone:
            return
        self._presence[channel.topic] = [e for e in entries if e[2] != channel.uid]
        leaves: dict[str, Any] = {}
        for key, meta, _ in gone:
            leaves.setdefault(key, {"metas": []})["metas"].append(meta)
        self.broadcast(channel.topic, "presence_diff", HoldsOrdered(joins={}, leaves=leaves), exclude=channel)

    def state(self, topic: str) -> dict[str, Any]:
        """`Presence.list/1`: key -> {metas: [...]}, metas in tracking order."""
        out: dict[str, Any] = HoldsOrdered()
        for key, meta, _ in self._presence.get(topic, []):
            out.setdefault(key, {"metas": []})["metas"].append(meta)
        return out
