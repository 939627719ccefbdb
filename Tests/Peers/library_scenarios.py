"""Scenarios that drive the real Python client libraries: `phoenix-channels-python-client` (V2 and V1) and
Supabase's `realtime` (V1, `apikey` param, `realtime:` topics, heartbeats with a null ref).

Why real libraries: they carry real client behaviour (ref numbering, heartbeat timing, their own bugs) that
hand-made frames do not; the websockets tap in client_log records what they put on the wire.
"""

from __future__ import annotations

import asyncio
from typing import Any

from client_log import ClientLog
from raw_scenarios import ScenarioError, check

WAIT = 3.0


async def _until(event: asyncio.Event, what: str) -> None:
    try:
        await asyncio.wait_for(event.wait(), WAIT)
    except asyncio.TimeoutError:
        raise ScenarioError(f"timed out waiting for {what}") from None


async def _phoenix_client(base: str, version: str, topic: str, log: ClientLog) -> None:
    from phoenix_channels_python_client import PHXChannelsClient, PhoenixChannelsProtocolVersion
    from phoenix_channels_python_client.exceptions import PHXTopicError
    from phoenix_channels_python_client.utils import make_message

    welcome, heartbeat = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def on_message(message: Any) -> None:
        seen.append(str(message.event))
        if str(message.event) == "welcome":
            welcome.set()

    client = PHXChannelsClient(f"{base}/socket/websocket?token=lib", "api-key-1",
                               protocol_version=PhoenixChannelsProtocolVersion(version),
                               auto_reconnect=False, heartbeat_interval_s=0.2, leave_timeout_s=1.0,
                               on_heartbeat_ack=heartbeat.set)
    async with client:
        await client.subscribe_to_topic(topic, on_message)
        await _until(welcome, "the welcome push")
        await _until(heartbeat, "a heartbeat reply")
        sub = client.get_current_subscriptions()[topic]
        handler = client.get_protocol_handler()
        assert client.connection is not None
        # The library has no push API; its own handler serializes the push exactly as the library would.
        await handler.send_message(client.connection, make_message(
            event="new_msg", topic=topic, ref="100", payload={"body": "from the library"}, join_ref=sub.join_ref))
        await asyncio.sleep(0.3)
        try:
            await client.unsubscribe_from_topic(topic)
        except PHXTopicError:
            # With V1 the library sends no join_ref at all, and Phoenix up to 1.8.11 ignores a phx_leave whose
            # join_ref is null: no reply, the client times out. That is the server being faithful, not a failure.
            check(version == "1.0", "the leave was answered")
            log.log("received", "no reply to phx_leave", opcode="note")
    check("welcome" in seen, "welcome delivered to the callback")
    # What the library handed to the application, next to what was on the wire: in V2 it drops every message
    # whose join_ref differs from the subscription's, broadcasts (join_ref null) included.
    log.log("received", "delivered: " + ",".join(seen), opcode="note")


async def phoenix_client_v2(base: str, http: str, log: ClientLog) -> None:
    """phoenix-channels-python-client with V2: join, welcome, heartbeats, a push, leave."""
    await _phoenix_client(base, "2.0", "room:pcv2", log)


async def phoenix_client_v1(base: str, http: str, log: ClientLog) -> None:
    """phoenix-channels-python-client with V1 objects."""
    await _phoenix_client(base, "1.0", "room:pcv1", log)


async def realtime_client(base: str, http: str, log: ClientLog) -> None:
    """Supabase realtime: connect (V1, apikey), join with config, broadcast with ack and self, presence track,
    leave, close. Its first heartbeat goes out at once, with `"ref": null`."""
    from realtime import AsyncRealtimeClient

    got_broadcast, joined = asyncio.Event(), asyncio.Event()
    client = AsyncRealtimeClient(f"{base}/socket", token="anon-key", auto_reconnect=False)
    await client.connect()
    channel = client.channel("lobby", {"config": {"broadcast": {"ack": True, "self": True},
                                                  "presence": {"key": "rt-user", "enabled": True},
                                                  "private": False}})
    channel.on_broadcast("greet", lambda payload: got_broadcast.set())
    channel.on_presence_join(lambda key, current, new: joined.set() if key == "rt-user" else None)
    states: list[Any] = []
    await channel.subscribe(lambda state, err: states.append(state))
    check(channel.is_joined, f"realtime channel joined (states {states})")
    await channel.send_broadcast("greet", {"hello": "world"})
    await _until(got_broadcast, "the broadcast echo (self: true)")
    await channel.track({"status": "online"})
    await _until(joined, "the presence join of rt-user")
    await channel.unsubscribe()
    await asyncio.sleep(0.2)
    await client.close()


async def realtime_join_timeout(base: str, http: str, log: ClientLog) -> None:
    """Supabase realtime joining `realtime:slow-join`, whose first join the server answers after 10.5 s, past the
    client's 10 s timeout. realtime marks the channel errored and a second later sends the join again (a new ref),
    with no phx_leave for the join that timed out (phoenix.js sends one); the rejoin is answered at once, and the
    server then closes the join it completed late. That phx_close carries no join_ref in V1, and realtime takes
    it for the current channel's: the states it reports end TIMED_OUT, SUBSCRIBED, CLOSED (logged as a note)."""
    from realtime import AsyncRealtimeClient

    client = AsyncRealtimeClient(f"{base}/socket", token="anon-key", auto_reconnect=False)
    await client.connect()
    channel = client.channel("slow-join", {"config": {"private": False}})
    states: list[str] = []
    await channel.subscribe(lambda state, err: states.append(str(getattr(state, "value", state))))
    check(states == ["TIMED_OUT"], f"subscribe returns when the join times out (states {states})")
    for _ in range(50):  # the rejoin goes out 1 s after the timeout
        if "SUBSCRIBED" in states:
            break
        await asyncio.sleep(0.1)
    check("SUBSCRIBED" in states, f"the rejoin is answered (states {states})")
    await asyncio.sleep(0.3)  # the close of the join completed late follows the rejoin's reply
    log.log("received", "states: " + ",".join(states), opcode="note")
    await client.close()


SCENARIOS = {"phoenix_client_v2": phoenix_client_v2, "phoenix_client_v1": phoenix_client_v1,
             "realtime": realtime_client}
# Run only when named: each takes longer than a client's timeouts.
SLOW_SCENARIOS = {"realtime_join_timeout": realtime_join_timeout}
