import PhoenixProtocol
import TestSupport
import WebSocketWire

/// Bytes from hex text; spaces and newlines are ignored so test vectors can be laid out like the wire.
func hex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
    precondition(digits.count % 2 == 0, "odd hex string")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Builds one frame as a peer would send it. `mask` is the key as a big-endian number.
func frame(
    _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false,
    mask: UInt32? = nil
) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (opcode & 0x0F)]
    let m: UInt8 = mask == nil ? 0 : 0x80
    if payload.count < 126 {
        out.append(m | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        out += [m | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        out.append(m | 127)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((payload.count >> shift) & 0xFF)) }
    }
    guard let mask else { return out + payload }
    let key = [UInt8(mask >> 24), UInt8((mask >> 16) & 0xFF), UInt8((mask >> 8) & 0xFF), UInt8(mask & 0xFF)]
    out += key
    for (i, b) in payload.enumerated() { out.append(b ^ key[i & 3]) }
    return out
}

/// A client frame (masked with a fixed key, as clients must).
func clientFrame(_ opcode: UInt8, _ text: String, fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
    frame(opcode, Array(text.utf8), fin: fin, rsv1: rsv1, mask: 0x1A57_A527)
}

/// A server frame (unmasked).
func serverFrame(_ opcode: UInt8, _ text: String, fin: Bool = true) -> [UInt8] {
    frame(opcode, Array(text.utf8), fin: fin)
}

/// Feeds each chunk to a connection at time 0 and collects the events.
func run(_ connection: inout WireConnection, _ chunks: [(Direction, [UInt8])], finish: Bool = false) -> [WireEvent] {
    var events: [WireEvent] = []
    for (d, bytes) in chunks { events += connection.feed(bytes, from: d, time: 0) }
    if finish { events += connection.finish(time: 0) }
    return events
}

/// The same chunks split into single bytes.
func bytewise(_ chunks: [(Direction, [UInt8])]) -> [(Direction, [UInt8])] {
    chunks.flatMap { (d, bytes) in bytes.map { (d, [$0]) } }
}

/// The same chunks cut at pseudo-random places (deterministic).
func randomSplits(_ chunks: [(Direction, [UInt8])], seed: UInt64) -> [(Direction, [UInt8])] {
    var rng = SplitMix64(seed: seed)
    var out: [(Direction, [UInt8])] = []
    for (d, bytes) in chunks {
        var i = 0
        while i < bytes.count {
            let n = Int(rng.next() % 23) + 1
            out.append((d, Array(bytes[i..<min(bytes.count, i + n)])))
            i += n
        }
    }
    return out
}

/// The upgrade request phoenix.js sends, and Bandit's 101, as in the captures.
let upgradeRequest = Array(
    ("GET /socket/websocket?token=abc&user=alice&vsn=2.0.0 HTTP/1.1\r\n" + "Sec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: y4fRzd3+Nm7/C8J6fAavaQ==\r\n" + "Connection: Upgrade\r\n" + "Upgrade: websocket\r\n"
        + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" + "Host: 127.0.0.1:4000\r\n\r\n").utf8)

func upgradeResponse(extensions: String? = nil) -> [UInt8] {
    var s = "HTTP/1.1 101 Switching Protocols\r\n" + "date: Sun, 29 Nov 2026 10:10:56 GMT\r\n" + "upgrade: websocket\r\n"
        + "connection: Upgrade\r\n" + "sec-websocket-accept: g44T2S1DQPG8nRRuXL3VINZKZ8k=\r\n"
    if let extensions { s += "sec-websocket-extensions: \(extensions)\r\n" }
    return Array((s + "\r\n").utf8)
}

/// The violations among events, by id.
func violationIDs(_ events: [WireEvent]) -> [String] {
    events.compactMap { if case .violation(_, let v, _) = $0 { return v.id } else { return nil } }
}

/// The data messages among events, as (direction, opcode, text).
func messages(_ events: [WireEvent]) -> [String] {
    events.compactMap {
        if case .message(let d, let op, let p, _, _) = $0 { return "\(d.rawValue) \(op.rawValue) \(String(decoding: p, as: UTF8.self))" }
        return nil
    }
}

