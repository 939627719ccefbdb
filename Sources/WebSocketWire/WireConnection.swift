public import PhoenixProtocol

/// The per-connection state machine between TCP bytes and HTTP/WebSocket events, used the
/// same way by the live proxy and the capture reader: bytes of one direction in, events out.
///
///     HTTP ──request with Upgrade: websocket──▶ awaiting upgrade ──101──▶ WebSocket
///       ▲                                             │
///       └────────────── any other final status ───────┘
///
/// While an upgrade waits for its response, client bytes are held (they are frames if the
/// answer is 101, more HTTP otherwise). Bytes after the heads that switch the connection are
/// the first frames. Memory: the frame and message in progress, a partial header, and HTTP
/// heads, each bounded by `WireLimits`.
///
/// With permessage-deflate a connection holds zlib streams by reference: keep using the one
/// value you fed, not an earlier copy of it.
public struct WireConnection: Sendable {
    enum Mode: Sendable {
        case http
        case awaitingUpgrade(HTTPRequestHead)
        case websocket
    }

    /// A frame whose payload may still lie in the bytes it was parsed from (`inPlace`).
    struct ParsedFrame: Sendable {
        var frame: WebSocketFrame
        var inPlace: Range<Int>?
    }

    /// One direction's parsers.
    struct Side: Sendable {
        var http: HTTPStreamParser
        var frames: WebSocketFrameParser
        var assembler: MessageAssembler
        /// The start of a frame header that has not fully arrived.
        var pendingHeader: [UInt8] = []
        /// Set while looking for a trustworthy frame header after lost bytes.
        var resync: FrameResync?
        var heldOverflowReported = false

        mutating func feedFrames(
            _ bytes: consuming ArraySlice<UInt8>, from direction: Direction, compressed: Bool, maxPayload: Int, time: Double,
            into events: inout [WireEvent]
        ) {
            var input = consume bytes
            if resync != nil {
                guard let rest = resync!.feed(input, direction: direction, compressed: compressed, maxPayload: maxPayload) else { return }
                let r = resync!
                resync = nil
                events.append(.violation(from: direction, .gap(missing: r.missing, skipped: r.skipped, resumed: "at a frame header"), time: time))
                input = rest[...]
            }
            if !pendingHeader.isEmpty {
                pendingHeader.append(contentsOf: input)
                input = pendingHeader[...]
                pendingHeader = []
            }
            // Client frames are unmasked where they lie, which needs the bytes to be ours
            // (lent mutably; a copy only if the caller still shares them); server frames are
            // only read.
            let writable = direction == .client
            // Parsed first, then sliced: `input` cannot be sliced while it is lent out.
            var parsed: [ParsedFrame] = []
            var wholeBytes = 0
            func parseAll(_ buf: UnsafeBufferPointer<UInt8>) {
                var index = 0
                var inPlace: Range<Int>?
                while let frame = frames.parse(buf, index: &index, payloads: .inPlace(writable: writable), inPlace: &inPlace) {
                    parsed.append(ParsedFrame(frame: frame, inPlace: inPlace))
                    wholeBytes += inPlace?.count ?? 0
                }
                if index < buf.count { pendingHeader = Array(buf[index...]) }
            }
            if writable {
                input.withUnsafeMutableBufferPointer { parseAll(UnsafeBufferPointer($0)) }
            } else {
                input.withUnsafeBufferPointer { parseAll($0) }
            }
            // A slice keeps all of `input` alive: frames share it when they fill at least half of
            // it, and are copied out otherwise (one small message must not hold a large segment).
            let shares = wholeBytes * 2 >= input.count
            let base = input.startIndex
            for i in parsed.indices {
                var frame = parsed[i].frame
                if let range = parsed[i].inPlace {
                    let bytes = input[(base + range.lowerBound)..<(base + range.upperBound)]
                    frame.payload = shares ? bytes : Array(bytes)[...]
                }
                assembler.push(frame, time: time, into: &events)
            }
        }
    }

    /// The limits given at creation.
    public let limits: WireLimits
    var mode = Mode.http
    var client: Side
    var server: Side
    var deflate: DeflateParameters?
    var finished = false

    /// Creates a connection that starts with HTTP (the opening handshake).
    public init(limits: WireLimits = .init()) {
        self.limits = limits
        client = Self.side(.client, limits: limits, deflate: nil)
        server = Self.side(.server, limits: limits, deflate: nil)
    }

    /// A connection already in WebSocket mode, for captures that begin after the handshake.
    /// `deflate` is what the unseen handshake agreed, when known.
    public static func assumingWebSocket(limits: WireLimits = .init(), deflate: DeflateParameters? = nil) -> WireConnection {
        var c = WireConnection(limits: limits)
        c.enterWebSocket(deflate: deflate)
        return c
    }

    /// Whether `bytes`, the first seen from `direction` of a connection whose start was not
    /// captured, begin with a frame a Phoenix peer would send (the resynchronisation test:
    /// FIN, text or binary, the right mask bit, a payload starting like Phoenix's). The pipeline
    /// uses it to choose `assumingWebSocket` over `init`.
    public static func startsLikeWebSocket(_ bytes: [UInt8], from direction: Direction, compressed: Bool = false) -> Bool {
        guard !bytes.isEmpty else { return false }
        return bytes.withUnsafeBufferPointer {
            FrameResync.plausible($0, at: 0, direction: direction, compressed: compressed, maxPayload: Int.max) == .yes
        }
    }

    /// Whether the connection has switched to WebSocket frames.
    public var isWebSocket: Bool {
        if case .websocket = mode { return true }
        return false
    }

    /// The permessage-deflate parameters in force, if any.
    public var deflateParameters: DeflateParameters? { deflate }

    /// Bytes of one direction at time `time`; returns what became known, in order.
    public mutating func feed(_ bytes: consuming [UInt8], from direction: Direction, time: Double) -> [WireEvent] {
        var events: [WireEvent] = []
        feed(consume bytes, from: direction, time: time, into: &events)
        return events
    }

    /// Like `feed(_:from:time:)`, appending to `events` (saves an array per call on hot paths).
    /// Client frames are unmasked where they lie when the caller gives its bytes up (`consume`);
    /// bytes it still holds are copied first.
    public mutating func feed(
        _ bytes: consuming [UInt8], from direction: Direction, time: Double, into events: inout [WireEvent]
    ) {
        guard !finished, !bytes.isEmpty else { return }
        switch mode {
        case .websocket:
            feedFrames((consume bytes)[...], from: direction, time: time, into: &events)
        case .http:
            modify(direction) { $0.http.append(bytes) }
            drainHTTP(direction, time: time, into: &events)
        case .awaitingUpgrade:
            if direction == .client {
                holdClientBytes(bytes, time: time, into: &events)
            } else {
                server.http.append(bytes)
                drainHTTP(.server, time: time, into: &events)
            }
        }
    }

    /// Bytes of one direction were lost (`missing` when known). Inside a payload or body of
    /// known length the parser skips exactly; otherwise it looks for the next trustworthy
    /// boundary and reports a `gap` violation with the bytes it skipped.
    public mutating func gap(from direction: Direction, missing: Int?, time: Double) -> [WireEvent] {
        var events: [WireEvent] = []
        guard !finished else { return events }
        if case .websocket = mode {
            var side = take(direction)
            if side.resync != nil {
                // Already resynchronising: the loss adds up.
                side.resync!.missing = Self.sum(side.resync!.missing, missing)
            } else if let missing, side.pendingHeader.isEmpty, side.frames.skipLost(missing) {
                events.append(.violation(from: direction, .gap(missing: missing, skipped: 0, resumed: "inside the same frame, whose message was dropped"), time: time))
            } else {
                let dropped = side.pendingHeader.count
                side.pendingHeader = []
                side.frames.reset()
                side.assembler.lostBytes(time: time, into: &events)
                side.resync = FrameResync(skipped: dropped, missing: missing)
            }
            put(direction, side)
            return events
        }
        var side = take(direction)
        if side.http.gap(missing: missing) {
            events.append(.violation(from: direction, .gap(missing: missing, skipped: 0, resumed: "inside the same HTTP body, kept as truncated"), time: time))
        }
        put(direction, side)
        drainHTTP(direction, time: time, into: &events)
        return events
    }

    /// The TCP connection ended: completes a response read until close, and reports what is
    /// incomplete (a partial frame or message, an unanswered upgrade, a cut HTTP message).
    public mutating func finish(time: Double) -> [WireEvent] {
        var events: [WireEvent] = []
        guard !finished else { return events }
        finished = true
        for direction in [Direction.client, .server] {
            var side = take(direction)
            if case .websocket = mode {
                if let r = side.resync {
                    let v = WireViolation.gap(missing: r.missing, skipped: r.skipped + r.buffer.count, resumed: "never: the connection ended first")
                    events.append(.violation(from: direction, v, time: time))
                } else if let h = side.frames.frameInProgress {
                    let have = h.payloadLength - (side.frames.remainingPayload ?? 0)
                    events.append(.violation(from: direction, .incompleteFrame(have: have, of: h.payloadLength), time: time))
                } else if !side.pendingHeader.isEmpty {
                    events.append(.violation(from: direction, .incompleteFrame(have: UInt64(side.pendingHeader.count), of: nil), time: time))
                }
                side.assembler.finish(time: time, into: &events)
            } else {
                if let r = side.http.resyncProgress {
                    let v = WireViolation.gap(missing: r.missing, skipped: r.skipped, resumed: "never: the connection ended first")
                    events.append(.violation(from: direction, v, time: time))
                }
                switch side.http.finish() {
                case .clean: break
                case .message(let m): emit(m, time: time, into: &events)
                case .incomplete(let why): events.append(.violation(from: direction, .incompleteHTTP(why), time: time))
                }
            }
            put(direction, side)
        }
        if case .awaitingUpgrade(let request) = mode {
            events.append(.violation(from: nil, .upgradeUnanswered(target: request.target), time: time))
        }
        return events
    }

    // MARK: - HTTP

    mutating func drainHTTP(_ direction: Direction, time: Double, into events: inout [WireEvent]) {
        while true {
            if direction == .client, case .awaitingUpgrade = mode { return }
            if case .websocket = mode { return }
            let output: HTTPStreamParser.Output?
            do {
                output = try direction == .client ? client.http.next() : server.http.next()
            } catch {
                events.append(.violation(from: direction, .malformedHTTP(error), time: time))
                return
            }
            guard let output else { return }
            switch output {
            case .resynchronised(let skipped, let missing):
                events.append(.violation(from: direction, .gap(missing: missing, skipped: skipped, resumed: "at the next HTTP message"), time: time))
            case .message(let m):
                emit(m, time: time, into: &events)
                switch m {
                case .request(let head, _):
                    server.http.expectResponse(toMethod: head.method)
                    if head.isWebSocketUpgrade { mode = .awaitingUpgrade(head) }
                case .response(let head, _):
                    responseArrived(head, time: time, into: &events)
                }
            }
        }
    }

    mutating func responseArrived(_ head: HTTPResponseHead, time: Double, into events: inout [WireEvent]) {
        let request: HTTPRequestHead?
        if case .awaitingUpgrade(let r) = mode {
            request = r
        } else {
            request = nil
        }
        if head.status == 101 && (request != nil || head.headers.tokens("Upgrade").contains("websocket")) {
            let (parameters, problems) = DeflateParameters.negotiated(by: head.headers)
            for p in problems { events.append(.violation(from: .server, .invalidExtensionNegotiation(p), time: time)) }
            events.append(.upgraded(request: request, response: head, deflate: parameters, time: time))
            let clientRest = client.http.takeRemaining()
            let serverRest = server.http.takeRemaining()
            enterWebSocket(deflate: parameters)
            if !serverRest.isEmpty { feedFrames(serverRest[...], from: .server, time: time, into: &events) }
            if !clientRest.isEmpty { feedFrames(clientRest[...], from: .client, time: time, into: &events) }
            return
        }
        if request != nil && head.status >= 200 {
            // Refused (403 from Phoenix): the connection goes on as HTTP, held bytes included.
            mode = .http
            drainHTTP(.client, time: time, into: &events)
        }
    }

    mutating func holdClientBytes(_ bytes: [UInt8], time: Double, into events: inout [WireEvent]) {
        let room = limits.maxHeldBeforeUpgrade - client.http.bufferedCount
        if bytes.count <= room {
            client.http.append(bytes)
            return
        }
        if room > 0 { client.http.append(bytes.prefix(room)) }
        if !client.heldOverflowReported {
            client.heldOverflowReported = true
            events.append(.violation(from: .client, .tooMuchBeforeUpgrade(limit: limits.maxHeldBeforeUpgrade), time: time))
        }
    }

    func emit(_ message: HTTPMessage, time: Double, into events: inout [WireEvent]) {
        switch message {
        case .request(let head, let body): events.append(.request(head, body: body, time: time))
        case .response(let head, let body): events.append(.response(head, body: body, time: time))
        }
    }

    // MARK: - WebSocket

    mutating func enterWebSocket(deflate: DeflateParameters?) {
        self.deflate = deflate
        mode = .websocket
        client = Self.side(.client, limits: limits, deflate: deflate)
        server = Self.side(.server, limits: limits, deflate: deflate)
    }

    mutating func feedFrames(
        _ bytes: consuming ArraySlice<UInt8>, from direction: Direction, time: Double, into events: inout [WireEvent]
    ) {
        // In place, not through take/put: a payload in progress must stay uniquely referenced,
        // or every chunk of a large frame would copy it.
        let compressed = deflate != nil
        let maxPayload = limits.maxFramePayload
        if direction == .client {
            client.feedFrames(consume bytes, from: .client, compressed: compressed, maxPayload: maxPayload, time: time, into: &events)
        } else {
            server.feedFrames(consume bytes, from: .server, compressed: compressed, maxPayload: maxPayload, time: time, into: &events)
        }
    }

    // MARK: - Helpers

    static func side(_ direction: Direction, limits: WireLimits, deflate: DeflateParameters?) -> Side {
        Side(
            http: HTTPStreamParser(
                role: direction == .client ? .request : .response, maxHeadSize: limits.maxHeadSize,
                maxBodyKept: limits.maxBodyKept),
            frames: WebSocketFrameParser(maxPayloadKept: limits.maxFramePayload),
            assembler: MessageAssembler(direction: direction, deflate: deflate, limits: limits))
    }

    static func sum(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        return a + b
    }

    /// A copy of a side, for the rare paths (gaps, the end) that change several of its parts;
    /// the hot path mutates the side in place instead.
    mutating func take(_ direction: Direction) -> Side {
        direction == .client ? client : server
    }

    mutating func put(_ direction: Direction, _ side: Side) {
        if direction == .client { client = side } else { server = side }
    }

    mutating func modify(_ direction: Direction, _ body: (inout Side) -> Void) {
        if direction == .client { body(&client) } else { body(&server) }
    }
}
