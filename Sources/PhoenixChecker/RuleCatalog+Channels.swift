// The Phoenix channel rules of PROTOCOL.md section 9. Citations are to phoenixframework/phoenix
// (PX), phoenix_live_view (LV) and phoenix_pubsub (PS) at the commits PROTOCOL.md names.

private let v183 = PhoenixVersion(1, 8, 3)
private let v182 = PhoenixVersion(1, 8, 2)
private let v1811 = PhoenixVersion(1, 8, 11)

extension RuleCatalog {
    static let handshakeAndEnvelope: [Rule] = [
        Rule(
            "vsn-rejected", .error, topic: .handshake, section9: [1],
            summary: "The connect URL's vsn matches no serializer, so the server answers HTTP 403.",
            explanation: """
                Phoenix picks the serializer from the `vsn` query parameter: `~> 1.0.0` selects V1 JSON objects and \
                `~> 2.0.0` selects V2 arrays. Any other version, or text that is not a semantic version, makes \
                the socket refuse the connection with HTTP 403 and an empty body, before the upgrade. Send \
                `vsn=2.0.0`.
                """,
            basis: "PX lib/phoenix/socket.ex:499, 613-640; lib/phoenix/transports/websocket.ex:86"),
        Rule(
            "vsn-missing", .info, topic: .handshake, section9: [1],
            summary: "The connect URL has no vsn, so the server speaks V1 JSON objects.",
            explanation: """
                Without `vsn` Phoenix assumes 1.0.0 and uses the V1 serializer: messages are JSON objects with \
                topic, event, payload and ref, and the server never sends join_ref. A client that sends V2 \
                arrays on such a connection has every frame rejected.
                """,
            basis: "PX lib/phoenix/socket.ex:499"),
        Rule(
            "connect-refused", .info, topic: .handshake, section9: [1],
            summary: "The server refused the connection although the vsn is valid.",
            explanation: """
                A 403 with a valid vsn means `connect/3` returned `:error` or `{:error, reason}`, or the origin \
                check failed; a 400 means the request was not a GET. This is the application's decision, not a \
                protocol fault, but no channel can be joined on this connection.
                """,
            basis: "PX lib/phoenix/transports/websocket.ex:86,97; lib/phoenix/socket/transport.ex:383"),
        Rule(
            "malformed-text-frame", .error, topic: .envelope, section9: [2],
            summary: "A text frame is not a Phoenix message for the connection's serializer.",
            explanation: """
                A V2 text frame must be a JSON array `[join_ref, ref, topic, event, payload]` with at least five \
                elements and string topic and event; a V1 frame must be an object with topic, event, payload \
                and ref. A Phoenix server cannot decode anything else: the socket process crashes and the \
                server closes the WebSocket with 1011, dropping every channel on it.
                """,
            basis: "PX lib/phoenix/socket/serializers/v2_json_serializer.ex decode_text; v1_json_serializer.ex; lib/phoenix/socket/message.ex from_map!"),
        Rule(
            "malformed-binary-frame", .error, topic: .envelope, section9: [4],
            summary: "A binary frame does not follow the V2 binary layout.",
            explanation: """
                Client binary frames are kind 0 pushes with a 5-byte header (kind, join_ref, ref, topic and event \
                sizes) and fields that fit in the frame; servers send kind 0 (4-byte header, no ref), 1 (reply) \
                or 2 (broadcast). Every field is at most 255 bytes. V1 connections have no binary form. The \
                server crashes the socket (close 1011) on a frame it cannot decode.
                """,
            basis: "PX lib/phoenix/socket/serializers/v2_json_serializer.ex decode_binary, byte_size!; assets/js/phoenix/serializer.js",
            appliesTo: VersionRange(from: PhoenixVersion(1, 6, 0))),
        Rule(
            "non-string-ref", .warning, topic: .envelope, section9: [3],
            summary: "A client ref or join_ref is not a string.",
            explanation: """
                Phoenix documents refs as unique strings. The server accepts numbers and echoes them back as \
                numbers, but phoenix.js compares refs with `===`, and a join_ref of the number 1 does not equal \
                the string "1": a leave or push that mixes the two types is treated as a different join.
                """,
            basis: "PX lib/phoenix/socket/message.ex docs; assets/js/phoenix/socket.js:682; channel.js:243"),
        Rule(
            "server-field-pattern", .warning, topic: .envelope, section9: [14],
            summary: "A server message's join_ref/ref combination is not one Phoenix produces.",
            explanation: """
                Phoenix fills the envelope the same way every time: channel pushes carry the channel's join_ref \
                and a null ref; broadcasts carry neither; `phx_close` and `phx_error` carry ref == join_ref; \
                heartbeat replies carry a null join_ref. Anything else comes from a non-Phoenix server or a \
                custom serializer, and clients that route by these fields will misfile it.
                """,
            basis: "PX lib/phoenix/channel/server.ex:250, 527; lib/phoenix/socket.ex:705-714, 868-899"),
    ]

    static let refsAndReplies: [Rule] = [
        Rule(
            "duplicate-outstanding-ref", .error, topic: .refs, section9: [8],
            summary: "A client push reuses the ref of a push that is still awaiting its reply.",
            explanation: """
                Replies are matched to pushes by ref alone. Two outstanding pushes with the same ref make the \
                routing ambiguous: the first reply resolves whichever push the client looks up, and the other \
                times out. phoenix.js draws refs from one counter per socket, so this never happens with it.
                """,
            basis: "PX assets/js/phoenix/socket.js:118, 658-663; push.js:98-109"),
        Rule(
            "non-monotonic-ref", .info, topic: .refs, section9: [8],
            summary: "A numeric client ref is not larger than the previous one.",
            explanation: """
                phoenix.js refs increase strictly for the lifetime of a Socket, reconnects included, with gaps \
                (the same counter numbers callbacks). Other clients may number differently; this only matters \
                if a ref is reused while a push with it is outstanding.
                """,
            basis: "PX assets/js/phoenix/socket.js:118, 658-663"),
        Rule(
            "join-ref-differs-from-ref", .info, topic: .refs, section9: [9],
            summary: "A phx_join's join_ref is not equal to its ref.",
            explanation: """
                phoenix.js sends `phx_join` with join_ref == ref. The server uses `join_ref || ref` as the \
                channel's join_ref, so a join with a null join_ref makes its ref the join_ref: every later push \
                on the topic must carry that value.
                """,
            basis: "PX assets/js/phoenix/push.js:42,101; lib/phoenix/channel/server.ex:27"),
        Rule(
            "stale-join-ref", .error, topic: .refs, section9: [11],
            summary: "A client message carries a join_ref that is not the channel's current one.",
            explanation: """
                The topic is joined with join_ref J and the message carries another, non-null join_ref (from an \
                earlier join, or never used). From Phoenix 1.8.3 the socket drops such a message silently: no \
                reply, so the push times out. Older servers forward it and reply with the current join_ref. \
                Send the join_ref of the reply to the latest `phx_join`.
                """,
            basis: "PX lib/phoenix/socket.ex:817-819 (commit c73bbfcf)",
            severityChanges: [SeverityChange(VersionRange(through: v182), .warning, "Up to 1.8.2 the server forwards the message to the channel.")]),
        Rule(
            "null-join-ref", .warning, topic: .refs, section9: [12],
            summary: "A client message on a joined channel has a null join_ref.",
            explanation: """
                The channel was joined with a non-null join_ref. Phoenix 1.8.3 to 1.8.11 drop such messages \
                silently (no reply, the push times out); earlier and later versions accept them. The channels \
                guide says clients should send the join_ref with every message on a channel.
                """,
            basis: "PX lib/phoenix/socket.ex:810 (v1.8.11); PR #6800",
            severityChanges: [SeverityChange(VersionRange(from: v183, through: v1811), .error, "Phoenix 1.8.3 to 1.8.11 drop the message silently.")]),
        Rule(
            "unknown-server-join-ref", .error, topic: .refs, section9: [13],
            summary: "A server message carries a join_ref the client never used on this topic.",
            explanation: """
                Server messages for a channel carry the join_ref of the client's `phx_join`. A join_ref that no \
                join on this topic and connection used cannot come from Phoenix: phoenix.js drops the message as \
                outdated (`isMember`).
                """,
            basis: "PX assets/js/phoenix/channel.js:241-249"),
        Rule(
            "stale-server-join-ref", .info, topic: .refs, section9: [13],
            summary: "A server message carries an earlier join_ref of this topic; the client drops it.",
            explanation: """
                The message belongs to a join that has since been replaced. phoenix.js drops it as \
                "outdated"; a client that routes by topic only would apply it to the new join \
                (supabase-swift#1145).
                """,
            basis: "PX assets/js/phoenix/channel.js:241-249"),
        Rule(
            "client-reused-join-ref", .error, topic: .refs, section9: [15],
            summary: "A phx_join reuses a join_ref that an earlier join of the same topic used.",
            explanation: """
                Each join needs a fresh join_ref: server messages of the old join (a late `phx_close` or \
                `phx_error`) would otherwise be taken for messages of the new one and tear it down. phoenix.js \
                makes a new, larger join_ref for every rejoin.
                """,
            basis: "PX lib/phoenix/socket.ex:868-899; assets/js/phoenix/channel.js:35-60"),
        Rule(
            "join-ref-from-previous-connection", .error, topic: .refs, section9: [22],
            summary: "A client message carries a join_ref, but the topic was never joined on this connection.",
            explanation: """
                Channel state lives in the server's socket process, so a new connection starts with no channels \
                and every join_ref of the previous connection is void. The client must send `phx_join` again \
                before pushing; Phoenix answers this message with `unmatched topic`.
                """,
            basis: "PX lib/phoenix/socket.ex:840-844; phoenix#3458; JavaPhoenixClient#91"),
        Rule(
            "orphan-reply", .warning, topic: .replies, section9: [5],
            summary: "A phx_reply answers no outstanding client push on its topic.",
            explanation: """
                Every reply carries the ref of a client push on the same topic. A reply to a push that already \
                timed out arrives after the client gave up on it; a reply to a ref never pushed comes from an \
                application bug or a non-Phoenix server. Clients must match replies by ref, not by \
                "any empty reply" (firezone#4296).
                """,
            basis: "PX lib/phoenix/socket.ex reply paths; assets/js/phoenix/push.js:98-109"),
        Rule(
            "reply-join-ref-mismatch", .warning, topic: .replies, section9: [6],
            summary: "A reply's join_ref is neither its push's join_ref nor the channel's current one.",
            explanation: """
                Phoenix replies with the channel's join_ref, which equals the push's join_ref in normal traffic; \
                servers before 1.8.3 answer a push with a stale join_ref using the current one. `unmatched topic` \
                replies have a null join_ref. Any other value makes phoenix.js drop the reply.
                """,
            basis: "PX lib/phoenix/channel/server.ex handle_reply; lib/phoenix/socket.ex:880-883"),
        Rule(
            "duplicate-reply", .warning, topic: .replies, section9: [7],
            summary: "A second phx_reply for the same topic and ref.",
            explanation: """
                Phoenix does not stop an application from replying twice (`reply(socket_ref, ...)` can be called \
                more than once), but phoenix.js resolves a push on its first reply and ignores the rest.
                """,
            basis: "PX lib/phoenix/channel.ex:686-702; assets/js/phoenix/push.js:103-109"),
        Rule(
            "join-reply-mismatch", .error, topic: .replies, section9: [9],
            summary: "The reply to a phx_join does not echo the join's join_ref.",
            explanation: """
                Phoenix answers a join with the join's ref and join_ref (`join_ref || ref`). A client that \
                records its join_ref only after sending the join, or a server that answers with another \
                join_ref, leaves the client unable to recognise its join reply (PhoenixSharp#11).
                """,
            basis: "PX lib/phoenix/socket.ex:739-760; lib/phoenix/channel/server.ex:27"),
        Rule(
            "join-timeout", .warning, topic: .replies, section9: [21],
            summary: "A phx_join got no reply within the push timeout.",
            explanation: """
                phoenix.js waits 10 s (LiveView 30 s), then sends `phx_leave` with the timed-out join_ref, marks \
                the channel errored and rejoins with a new join_ref. A reply after that is an orphan. Slow \
                `join/3` callbacks or a lost connection cause it.
                """,
            basis: "PX assets/js/phoenix/constants.js:7; channel.js:61-67"),
        Rule(
            "join-timeout-no-leave", .info, topic: .replies, section9: [21],
            summary: "A rejoin after a join timeout, with no phx_leave for the join that timed out.",
            explanation: """
                The server may still complete a join the client gave up on: the socket process runs `join/3` \
                to the end. phoenix.js therefore sends `phx_leave` with the timed-out join_ref before it \
                joins again. Without it, a join completed late stays open on the server, sending its \
                messages, until the next join of the topic makes Phoenix close it; in V1 that `phx_close` \
                carries no join_ref, so the client takes it for the new join's and drops the channel it has \
                just joined (Supabase realtime-py 2.34 does both: it resends the join, then reports CLOSED).
                """,
            basis: "PX assets/js/phoenix/channel.js:61-67; lib/phoenix/socket.ex:771-788; realtime-py 2.34.1 realtime/_async/channel.py (on_join_push_timeout, _rejoin)"),
        Rule(
            "push-unanswered", .info, topic: .replies, section9: [21],
            summary: "A client push got no reply: the timeout passed, the channel ended or the connection closed.",
            explanation: """
                An application may legitimately answer nothing (`{:noreply, socket}`), so this is not an error. \
                phoenix.js fires the push's `timeout` callback after 10 s (30 s for LiveView). When the channel \
                crashed (`phx_error`) or stopped (`phx_close`) first, no reply will come.
                """,
            basis: "PX assets/js/phoenix/constants.js:7; push.js:98-109; lib/phoenix/channel/server.ex handle_result"),
        Rule(
            "join-rejected", .info, topic: .replies, section9: [10],
            summary: "The server answered a phx_join with an error.",
            explanation: """
                The channel is not joined: every push on the topic will get `unmatched topic` until a join \
                succeeds. `unmatched topic` means no channel route matches the topic; `join crashed` means \
                `join/3` raised; other reasons come from the application. phoenix.js rejoins with backoff.
                """,
            basis: "PX lib/phoenix/socket.ex:766; lib/phoenix/channel/server.ex:51,56"),
    ]
}
