"""A LiveView-shaped counter on `/live` (`lv:*` topics) reproducing the liveview capture: LiveView 0.20.17's
join reply with `rendered`, `event` pushes answered with a `diff`, and phx_close sent before the leave reply.

Why: LiveView traffic is the most common Phoenix traffic in the wild, and its join (`session`, `static`) and its
leave order differ from plain channels; the checker's LiveView rules need a peer that produces them.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from phx_serializer import ClientMessage
from phx_socket import Channel, PhxSocket

STATICS = ['<div id="counter">\n  <span>count: ', "</span>\n  <button phx-click=\"inc\">+</button>\n</div>"]
VERSION = "0.20.17"


def _token() -> str:
    return "SFMyNTY." + base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")


def live_page() -> str:
    """GET /counter: the dead render with the session and static tokens the JS client joins with."""
    view_id = "phx-" + base64.urlsafe_b64encode(os.urandom(12)).decode()
    csrf = base64.urlsafe_b64encode(os.urandom(42)).decode()
    return ('<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="csrf-token" content="' + csrf + '">\n'
            '    <title>phx_verify counter</title>\n  </head>\n  <body><div id="' + view_id + '" data-phx-main '
            'data-phx-session="' + _token() + '" data-phx-static="' + _token() + '">' + STATICS[0] + "0" +
            STATICS[1] + "</div></body>\n</html>\n")


class LiveCounter:
    """`lv:*`: the counter LiveView."""

    def join(self, socket: PhxSocket, channel: Channel, payload: Any) -> tuple[str, Any]:
        """A join without `session` is refused as stale, as Phoenix.LiveView.Channel does."""
        if not isinstance(payload, dict) or not isinstance(payload.get("session"), str):
            return "error", {"reason": "stale"}
        channel.assigns["count"] = 0
        return "ok", {"liveview_version": VERSION, "rendered": {"0": "0", "r": 1, "s": STATICS}}

    def after_join(self, socket: PhxSocket, channel: Channel, payload: Any) -> None:
        """Nothing is pushed after a LiveView join."""

    def handle_in(self, socket: PhxSocket, channel: Channel, msg: ClientMessage) -> None:
        """`event` with `inc` bumps the counter and replies with the diff; other events reply with no diff."""
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if msg.event == "event" and payload.get("event") == "inc":
            channel.assigns["count"] += 1
            socket.reply(channel, msg.ref, "ok", {"diff": {"0": str(channel.assigns["count"])}})
        else:
            socket.reply(channel, msg.ref, "ok", {})

    def leave_order(self) -> str:
        """LiveView closes before it answers the leave (seen in the liveview capture)."""
        return "close_first"


def live_routes() -> list[tuple[str, Any]]:
    """The LiveView socket's routes."""
    return [("lv:", LiveCounter())]
