// Channel lifecycle, heartbeat, presence, LongPoll and LiveView rules of PROTOCOL.md section 9.

extension RuleCatalog {
    static let lifecycleAndHeartbeats: [Rule] = [
        Rule(
            "push-to-unjoined-topic", .error, topic: .lifecycle, section9: [10],
            summary: "A client push on a topic that is not joined on this connection.",
            explanation: """
                Push only after the join reply is ok, and never after `phx_close`, `phx_error`, a join error or \
                a reconnect without rejoining. Phoenix answers a non-join message on an unjoined topic with \
                `{"reason":"unmatched topic"}` and a null join_ref. phoenix.js buffers pushes until the channel \
                is joined instead.
                """,
            basis: "PX lib/phoenix/socket.ex:805-844; assets/js/phoenix/channel.js:156,177-188"),
        Rule(
            "push-before-join-reply", .info, topic: .lifecycle, section9: [10],
            summary: "A client push on a topic whose join has not been answered yet.",
            explanation: """
                The socket finishes a join before it reads the next frame, so the push reaches the channel if \
                the join succeeds; if the join fails it gets `unmatched topic`. phoenix.js waits for the join \
                reply instead.
                """,
            basis: "PX lib/phoenix/socket.ex:805-844; observed on Phoenix 1.7.24"),
        Rule(
            "unmatched-topic", .error, topic: .lifecycle, section9: [10, 22],
            summary: "The server answered a push with `unmatched topic`: the topic is not joined.",
            explanation: """
                The client sent a message to a topic it has not joined on this connection (never joined, \
                closed, errored, or joined on a previous connection). Rejoin before pushing (firezone#10397, \
                phoenix#3458).
                """,
            basis: "PX lib/phoenix/socket.ex:840-844, 880-883"),
        Rule(
            "duplicate-join", .info, topic: .lifecycle, section9: [16],
            summary: "A phx_join on a topic that is already joined or joining, with no phx_leave first.",
            explanation: """
                The server closes the old channel and joins again: it replies to the new join and sends \
                `phx_close` with the old join_ref (Phoenix 1.7.24 sends the reply first). Expected after a \
                join timeout; otherwise the client has two joins in flight (phoenix#2035, SwiftPhoenixClient#177).
                """,
            basis: "PX lib/phoenix/socket.ex:771-788"),
        Rule(
            "rejoin-loop", .warning, topic: .lifecycle, section9: [16, 23],
            summary: "More joins of one topic in a short window than a healthy client sends.",
            explanation: """
                Several `phx_join`s for the same topic within 10 s are a rejoin loop: each join replaces the \
                last, so the client never settles (phoenix#1579, #3349; supabase-flutter#519).
                """,
            basis: "PX lib/phoenix/socket.ex:771-788; assets/js/phoenix/socket.js:175"),
        Rule(
            "rejoin-too-fast", .warning, topic: .lifecycle, section9: [23],
            summary: "A rejoin after a failure came sooner than phoenix.js's first backoff step (1 s).",
            explanation: """
                phoenix.js rejoins a failed channel after 1 s, 2 s, 5 s, then every 10 s. A client that rejoins \
                at once after `phx_error` or a join error hammers a failing channel and can storm the server.
                """,
            basis: "PX assets/js/phoenix/socket.js:175,182"),
        Rule(
            "leave-ignored", .warning, topic: .lifecycle, section9: [17],
            summary: "A phx_leave that the server ignores: no reply, the channel stays joined.",
            explanation: """
                Phoenix only accepts a leave whose join_ref is the channel's current one (or null from 1.8.12 \
                on; a join_ref of another JSON type, such as "1" for 1, does not count). Any other leave is taken \
                for a race with a server close and dropped without a reply, so the leave push times out and the \
                channel stays joined.
                """,
            basis: "PX lib/phoenix/socket.ex:790-803 (commit 4f48386d7); observed on Phoenix 1.7.24",
            severityChanges: []),
        Rule(
            "leave-without-close", .info, topic: .lifecycle, section9: [17],
            summary: "The server answered a phx_leave ok but never sent the phx_close that ends the channel.",
            explanation: """
                Phoenix answers an accepted leave with ok and then, as the channel process stops, sends \
                `phx_close` with the channel's join_ref (the order can be the other way round for LiveView). \
                Noted when the connection closes with the close still missing: a server that is not Phoenix, \
                or a channel that outlived its leave. Clients that wait for `phx_close` to drop the channel \
                (phoenix.js does on either) keep it.
                """,
            basis: "PX lib/phoenix/socket.ex:790-803; lib/phoenix/channel/server.ex (phx_leave -> {:stop, {:shutdown, :left}}); observed on Phoenix 1.7.24"),
        Rule(
            "leave-unjoined", .info, topic: .lifecycle, section9: [17],
            summary: "A phx_leave on a topic that is not joined.",
            explanation: "Phoenix replies ok `{}` to a leave of an unjoined topic; nothing else happens.",
            basis: "PX lib/phoenix/socket.ex:823-838"),
        Rule(
            "message-after-close", .warning, topic: .lifecycle, section9: [15],
            summary: "A server message with the join_ref of a channel that already sent phx_close or phx_error.",
            explanation: """
                After `phx_close` or `phx_error` the channel process is gone, so nothing more should carry its \
                join_ref. Broadcasts (null join_ref) such as a late `presence_diff` are normal: the PubSub \
                subscription ends asynchronously.
                """,
            basis: "PX lib/phoenix/socket.ex:868-899"),
        Rule(
            "too-many-channels", .info, topic: .lifecycle, section9: [25],
            summary: "The client joined more topics than Phoenix allows on one socket (100).",
            explanation: """
                From Phoenix 1.8.9 a join beyond `max_channels_per_transport` (default 100) is answered \
                `{"reason":"too many channels joined"}`. Leave topics you no longer need, or use fewer, wider \
                topics.
                """,
            basis: "PX lib/phoenix/socket.ex:656, 723-737",
            appliesTo: VersionRange(from: PhoenixVersion(1, 8, 9))),
        Rule(
            "connection-close", .info, topic: .lifecycle, section9: [28],
            summary: "What a close code means for reconnecting.",
            explanation: """
                A client close with 1000 after `disconnect()` is final: phoenix.js does not reconnect. A server \
                close with 1001 (a `disconnect` broadcast, Phoenix 1.8.8+) or 1012 (drain) makes the client \
                reconnect and rejoin. 1011 from the server means the socket process crashed, usually on a frame \
                it could not decode.
                """,
            basis: "PX assets/js/phoenix/socket.js:552; lib/phoenix/socket.ex:569-579"),
        Rule(
            "heartbeat-null-ref", .warning, topic: .heartbeats, section9: [18, 3],
            summary: "A heartbeat with a null ref: its reply cannot be matched to it.",
            explanation: """
                Phoenix echoes the heartbeat's ref in the reply. With `ref: null` the reply is null too, and the \
                client cannot tell a heartbeat reply from any other (realtime-py#289, supabase-py#1299). Give \
                every heartbeat a fresh ref.
                """,
            basis: "PX lib/phoenix/socket.ex:705-714; assets/js/phoenix/socket.js:665-670"),
        Rule(
            "heartbeat-no-reply", .error, topic: .heartbeats, section9: [18],
            summary: "A heartbeat got no reply before the next heartbeat was due.",
            explanation: """
                Phoenix answers a heartbeat at once from the socket process. phoenix.js closes the connection \
                with 1000 "heartbeat timeout" when the previous heartbeat is still unanswered at the next \
                interval (30 s), then reconnects.
                """,
            basis: "PX lib/phoenix/socket.ex:705-714; assets/js/phoenix/socket.js:481-489"),
        Rule(
            "client-silence", .warning, topic: .heartbeats, section9: [19],
            summary: "The client sent nothing for longer than the server's idle timeout allows.",
            explanation: """
                A Phoenix WebSocket closes after 60 s without data from the client. Heartbeats every 30 s \
                prevent that, unless the client resets its heartbeat timer on incoming or outgoing traffic and \
                so never sends one (realtime-js#94, firezone#12312).
                """,
            basis: "PX lib/phoenix/transports/websocket.ex:31"),
        Rule(
            "heartbeat-overdue", .warning, topic: .heartbeats, section9: [19, 18],
            summary: "The client sent no heartbeat for more than two heartbeat intervals.",
            explanation: """
                phoenix.js sends a heartbeat every 30 s whatever else it sends. A client that restarts its \
                heartbeat timer on every send or receive stops heartbeating on a busy connection, and so never \
                learns that the connection is dead (firezone#12312, realtime-js#94). Keep the heartbeat timer \
                independent of other traffic.
                """,
            basis: "PX assets/js/phoenix/socket.js:170, 665-670"),
        Rule(
            "heartbeat-timeout-close", .info, topic: .heartbeats, section9: [20],
            summary: "The client closed with 1000 \"heartbeat timeout\": a heartbeat reply was late or lost.",
            explanation: """
                phoenix.js closes this way when a heartbeat reply has not arrived by the next interval, and then \
                reconnects. The round trips of the earlier heartbeats show whether the server was slow or the \
                reply was lost. A client must still set up its reconnect timer (JavaPhoenixClient#32).
                """,
            basis: "PX assets/js/phoenix/socket.js:481-489"),
    ]

    static let presenceLongPollLiveView: [Rule] = [
        Rule(
            "presence-diff-before-state", .info, topic: .presence, section9: [24],
            summary: "A presence_diff arrived before the presence_state of the current join.",
            explanation: """
                Normal: diffs are broadcasts and can overtake the state the channel pushes. phoenix.js queues \
                them and applies them after `presence_state`; a client that applies them at once loses them.
                """,
            basis: "PX assets/js/phoenix/presence.js:20-45"),
        Rule(
            "presence-unknown-leave", .warning, topic: .presence, section9: [24],
            summary: "A presence_diff leaves a meta (phx_ref) that the tracked state does not have.",
            explanation: """
                Leaves name the exact metas that joined earlier. A leave of an unknown phx_ref means the client's \
                view of presence has drifted: a diff was lost or applied out of order.
                """,
            basis: "PX assets/js/phoenix/presence.js:63-131; PS lib/phoenix/tracker/shard.ex:301-313"),
        Rule(
            "presence-update-without-leave", .warning, topic: .presence, section9: [24],
            summary: "A presence_diff joins a meta with phx_ref_prev but does not leave that ref.",
            explanation: """
                An update is sent as a join of the new meta (with `phx_ref_prev`) and a leave of the old one in \
                the same diff. Without the leave, clients keep both metas.
                """,
            basis: "PS lib/phoenix/tracker/shard.ex:301-313, 517-521"),
        Rule(
            "longpoll-session-gone", .info, topic: .longpoll, section9: [26, 22],
            summary: "A LongPoll 410 for a session that had a token: the session is lost and all joins are void.",
            explanation: """
                The first 410 of a session hands out the token and is normal. A later one means the server \
                session ended (no poll for 15 s, or a restart); phoenix.js reconnects and must rejoin every \
                channel before pushing.
                """,
            basis: "PX lib/phoenix/transports/long_poll.ex:72,128,157; assets/js/phoenix/longpoll.js:75-80"),
        Rule(
            "longpoll-request-timeout", .warning, topic: .longpoll, section9: [26],
            summary: "A LongPoll POST answered 408: some lines of it were not dispatched.",
            explanation: """
                The server stops dispatching a POST's lines at the first one not acknowledged within `window_ms`; \
                the later lines are lost. phoenix.js treats it as an error and reconnects.
                """,
            basis: "PX lib/phoenix/transports/long_poll.ex:88-128"),
        Rule(
            "liveview-join-without-session", .error, topic: .liveview, section9: [27],
            summary: "A LiveView join (lv: topic) without a session.",
            explanation: """
                The LiveView channel needs the signed `session` from the page; without it the join is \
                refused with `{"reason":"stale"}` and the page reloads.
                """,
            basis: "LV lib/phoenix_live_view/channel.ex:1174, 1253-1256"),
        Rule(
            "liveview-join-reply-shape", .info, topic: .liveview, section9: [27],
            summary: "An ok reply to a LiveView join without rendered or liveview_version.",
            explanation: """
                LiveView answers a successful join with `rendered` and `liveview_version`. A reply without them \
                comes from something other than `Phoenix.LiveView.Channel`, or from a version the client does \
                not expect.
                """,
            basis: "LV lib/phoenix_live_view/channel.ex:1516-1534"),
    ]
}
