// WebSocket-level rules (emitted by the wire layer) and capture/proxy rules (emitted by the
// byte sources). Their basis is RFC 6455 (WebSocket) and RFC 7692 (permessage-deflate).

extension RuleCatalog {
    static let webSocket: [Rule] = [
        ws("ws-unmasked-client-frame", .error, "A client frame is not masked.",
           "Every frame from client to server must be masked. The server must close the connection (1002); Bandit was seen ignoring the frame and every later one instead, so the client's messages vanish.",
           "RFC 6455 section 5.1, 5.3"),
        ws("ws-masked-server-frame", .error, "A server frame is masked.",
           "A server must not mask its frames, and a client must close the connection when it sees a masked one.",
           "RFC 6455 section 5.1"),
        ws("ws-reserved-bits", .error, "A frame sets RSV bits that no negotiated extension defines.",
           "RSV1 means a compressed message only when permessage-deflate was negotiated, and only on the first frame of a message; RSV2 and RSV3 have no meaning here. The peer must fail the connection.",
           "RFC 6455 section 5.2; RFC 7692 section 6"),
        ws("ws-compressed-continuation", .error, "A continuation frame has RSV1 set.",
           "With permessage-deflate only the first frame of a compressed message carries RSV1; a continuation frame with it set is a protocol error and the peer must fail the connection.",
           "RFC 7692 section 6"),
        ws("ws-compressed-control", .error, "A control frame (close, ping, pong) has RSV1 set.",
           "permessage-deflate compresses data messages only; a control frame with RSV1 is a protocol error.",
           "RFC 7692 section 6.1"),
        ws("ws-non-minimal-length", .error, "A frame's payload length is encoded in more bytes than needed.",
           "The 16-bit form is for lengths 126-65535 and the 64-bit form for larger ones, whose top bit must be clear. A longer form than needed is a protocol error that strict peers reject.",
           "RFC 6455 section 5.2"),
        ws("ws-fragmented-control", .error, "A control frame (close, ping, pong) has FIN clear.",
           "Control frames must not be fragmented; they may only be interleaved between the fragments of a data message.",
           "RFC 6455 section 5.5"),
        ws("ws-control-too-long", .error, "A control frame carries more than 125 bytes.",
           "Close, ping and pong payloads are at most 125 bytes, so that a control frame always fits a short header.",
           "RFC 6455 section 5.5"),
        ws("ws-unexpected-continuation", .error, "A continuation frame arrived with no message in progress.",
           "Opcode 0 continues a fragmented text or binary message; without a preceding unfinished data frame it has nothing to continue.",
           "RFC 6455 section 5.4"),
        ws("ws-interleaved-data", .error, "A new data message started before the previous fragmented one ended.",
           "Fragments of one message must not be interleaved with another data message; only control frames may come between them.",
           "RFC 6455 section 5.4"),
        ws("ws-unknown-opcode", .error, "A frame uses a reserved opcode.",
           "Opcodes 3-7 and 11-15 are reserved; without an extension that defines them the peer must fail the connection.",
           "RFC 6455 section 5.2"),
        ws("ws-invalid-close-payload", .error, "A close frame's payload is one byte long.",
           "A close payload is empty, or a 2-byte status code followed by an optional UTF-8 reason; one byte is neither.",
           "RFC 6455 section 5.5.1"),
        ws("ws-invalid-close-code", .error, "A close frame carries a status code that must not be sent.",
           "Codes below 1000, 1004-1006, 1015 and the unassigned 1016-2999 must not appear in a close frame; 3000-4999 are for libraries and applications.",
           "RFC 6455 section 7.4.1, 7.4.2"),
        ws("ws-close-reason-utf8", .error, "A close frame's reason is not valid UTF-8.",
           "The reason after the status code must be UTF-8; the peer must fail the connection otherwise.",
           "RFC 6455 section 5.5.1, 8.1"),
        ws("ws-invalid-utf8", .error, "A text message is not valid UTF-8.",
           "Text messages must be UTF-8 once reassembled (and inflated). The peer must fail the connection; a Phoenix server crashes the socket with 1011. Send binary data in binary frames.",
           "RFC 6455 section 5.6, 8.1"),
        ws("ws-data-after-close", .error, "A peer sent a data frame after its close frame.",
           "After sending a close frame an endpoint must not send more data frames; the other side discards them.",
           "RFC 6455 section 5.5.1"),
        ws("ws-oversized", .warning, "A message is larger than the configured limit.",
           "The message exceeds the size limit PhoenixTap was given; the server may refuse it too (`max_frame_size`). It is shown truncated or not decoded.",
           "RFC 6455 section 10.4; PX lib/phoenix/transports/websocket.ex max_frame_size"),
        ws("ws-gap", .warning, "Bytes of the WebSocket stream are missing, so frames could not be followed.",
           "The frame parser lost its place because the byte stream has a hole; messages around it are missing from the transcript.",
           "RFC 6455 section 5.2"),
        ws("ws-deflate-error", .error, "A compressed message does not inflate.",
           "With permessage-deflate each RSV1 message is raw DEFLATE data ending with an empty stored block that was removed; this one is corrupt, or it depends on a sliding window that context takeover was supposed to keep.",
           "RFC 7692 section 7.2"),
        ws("ws-inflate-limit", .warning, "A compressed message inflates past the configured limit.",
           "Inflation was stopped at PhoenixTap's limit, which guards against compression bombs; the message is not decoded.",
           "RFC 7692 section 8"),
        ws("ws-truncated", .warning, "The connection ended in the middle of a frame or message.",
           "The last frame or fragmented message is incomplete; it is reported, not decoded.",
           "RFC 6455 section 5.2, 7.1.5"),
    ]

    static let upgrade: [Rule] = [
        Rule(
            "ws-extension-negotiation", .error, topic: .handshake,
            summary: "The server's permessage-deflate answer is not valid.",
            explanation: """
                The server may only accept parameters the client offered, once each, with valid window bits \
                (8-15). A client must fail the connection on an invalid answer; PhoenixTap cannot be sure how the \
                stream is compressed.
                """,
            basis: "RFC 7692 section 5, 7.1"),
        Rule(
            "http-malformed", .error, topic: .handshake,
            summary: "Bytes that are not HTTP/1.1 where the upgrade request or response was expected.",
            explanation: """
                A WebSocket (or LongPoll) connection starts with an HTTP/1.1 request and response. These bytes do \
                not parse as one, so the connection cannot be followed; a server would answer 400.
                """,
            basis: "RFC 9112 section 2-6; RFC 6455 section 4.1"),
        Rule(
            "http-truncated", .warning, topic: .handshake,
            summary: "The connection ended inside an HTTP message.",
            explanation: "The request or response was cut off (the peer closed, or the capture ended); what came before it is reported.",
            basis: "RFC 9112 section 6.3"),
        Rule(
            "ws-upgrade-unanswered", .warning, topic: .handshake,
            summary: "A WebSocket upgrade request never got a response.",
            explanation: """
                The server (or something in between) did not answer the upgrade before the connection ended. \
                phoenix.js retries with backoff and, with `longPollFallbackMs`, falls back to LongPoll.
                """,
            basis: "RFC 6455 section 4.1; PX assets/js/phoenix/socket.js:414-458"),
    ]

    static let source: [Rule] = [
        src("tcp-gap", .warning, "The capture is missing TCP bytes of a connection.",
            "Some segments were not captured (snap length, drops, or the capture started late). The stream is resynchronised where possible; messages in the gap are lost.",
            "RFC 9293 section 3.4"),
        src("ip-fragment", .warning, "An IP packet of the connection was fragmented and could not be used.",
            "Fragmented IP datagrams are not reassembled; their TCP bytes count as a gap.",
            "RFC 791 section 3.2; RFC 8200 section 4.5"),
        src("tcp-retransmission-mismatch", .warning, "A retransmitted TCP segment carries different bytes than the first copy.",
            "The first copy is kept. Differing retransmissions point to a broken middlebox, a capture artefact or an attack.",
            "RFC 9293 section 3.10.7.4"),
        src("ws-held-before-upgrade", .warning, "The client sent more before the upgrade response than PhoenixTap holds.",
            "Bytes after the upgrade request are held until the server answers; past the limit the rest is not analysed (it is still forwarded).",
            "RFC 6455 section 4.1; PhoenixTap observation limit"),
        src("capture-mid-connection", .info, "The capture starts inside a connection: no handshake was seen.",
            "Without the upgrade request the vsn is unknown, so the serializer is read off the first frame; the first messages may be cut.",
            "PhoenixTap capture reader"),
        src("proxy-observer-skipped", .warning, "The proxy relayed bytes that its observer had no time to analyse.",
            "The relay never waits for the analysis; when the observer falls behind, bytes are forwarded unseen and the transcript says how many.",
            "PhoenixTap design: relay first, observe a copy"),
        src("proxy-upstream-failed", .error, "The proxy could not reach the upstream server.",
            "The connection to the upstream failed (refused, TLS error, timeout); the client's connection was closed.",
            "PhoenixTap proxy"),
    ]

    private static func ws(_ id: String, _ severity: Severity, _ summary: String, _ explanation: String, _ basis: String) -> Rule {
        Rule(id, severity, topic: .websocket, summary: summary, explanation: explanation, basis: basis)
    }

    private static func src(_ id: String, _ severity: Severity, _ summary: String, _ explanation: String, _ basis: String) -> Rule {
        Rule(id, severity, topic: .source, summary: summary, explanation: explanation, basis: basis)
    }
}
