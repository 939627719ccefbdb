import Foundation
import PhoenixProtocol
import WebSocketWire

/// A test-only reader for the fixture captures: classic pcap, Ethernet, IPv4, TCP, segments in
/// sequence order (the captures are clean; anything else is reported, not repaired).
struct TestCapture {
    /// One TCP payload in capture order.
    struct Segment {
        var clientPort: Int
        var from: Direction
        var time: Double
        var bytes: [UInt8]
    }

    var segments: [Segment] = []
    /// Client ports in order of first appearance.
    var clientPorts: [Int] = []
    /// Problems the reader met (retransmissions, reordering): empty for the fixtures.
    var problems: [String] = []

    static func fixtureURL(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    }

    init(named name: String) throws {
        let data = [UInt8](try Data(contentsOf: Self.fixtureURL(name)))
        func u32(_ o: Int) -> UInt32 { UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24 }
        func be16(_ o: Int) -> Int { Int(data[o]) << 8 | Int(data[o + 1]) }
        func be32(_ o: Int) -> UInt32 { UInt32(be16(o)) << 16 | UInt32(be16(o + 2)) }
        precondition(u32(0) == 0xA1B2_C3D4 && u32(20) == 1, "fixture must be microsecond pcap with Ethernet")
        var serverPorts: [Int: Int] = [:]  // client port -> server port
        var nextSeq: [String: UInt32] = [:]
        var offset = 24
        while offset + 16 <= data.count {
            let time = Double(u32(offset)) + Double(u32(offset + 4)) / 1e6
            let incl = Int(u32(offset + 8))
            let p = offset + 16
            offset = p + incl
            guard incl >= 14 + 20, be16(p + 12) == 0x0800, data[p + 14 + 9] == 6 else { continue }
            let ip = p + 14
            let ihl = Int(data[ip] & 0x0F) * 4
            let total = be16(ip + 2)
            let tcp = ip + ihl
            let sport = be16(tcp), dport = be16(tcp + 2)
            let seq = be32(tcp + 4)
            let flags = data[tcp + 13]
            let payloadStart = tcp + Int(data[tcp + 12] >> 4) * 4
            let payloadEnd = ip + total
            if flags & 0x12 == 0x02 {  // SYN without ACK: the sender is the client
                serverPorts[sport] = dport
                clientPorts.append(sport)
            }
            let from: Direction = serverPorts[sport] == dport ? .client : .server
            let clientPort = from == .client ? sport : dport
            let key = "\(clientPort)-\(from)"
            var s = seq &+ ((flags & 0x02) != 0 ? 1 : 0)
            var bytes = Array(data[payloadStart..<payloadEnd])
            if let expected = nextSeq[key], !bytes.isEmpty {
                if s != expected {
                    let behind = Int(Int32(bitPattern: expected &- s))
                    if behind > 0 && behind <= bytes.count {
                        problems.append("retransmission of \(behind) bytes at \(time)")
                        bytes.removeFirst(behind)
                        s = expected
                    } else {
                        problems.append("out-of-order segment at \(time)")
                    }
                }
            }
            nextSeq[key] = s &+ UInt32(bytes.count) &+ ((flags & 0x01) != 0 ? 1 : 0)
            if !bytes.isEmpty { segments.append(Segment(clientPort: clientPort, from: from, time: time, bytes: bytes)) }
        }
    }

    /// Runs every connection through its own `WireConnection`; events by client port.
    func events() -> [Int: [WireEvent]] {
        var connections: [Int: WireConnection] = [:]
        var out: [Int: [WireEvent]] = [:]
        var lastTime = 0.0
        for s in segments {
            out[s.clientPort, default: []] += connections[s.clientPort, default: WireConnection()].feed(s.bytes, from: s.from, time: s.time)
            lastTime = s.time
        }
        for port in connections.keys.sorted() { out[port, default: []] += connections[port]!.finish(time: lastTime) }
        return out
    }
}

/// One line of a fixture's JSON Lines file.
func jsonLines(_ name: String) throws -> [[String: Any]] {
    let text = try String(contentsOf: TestCapture.fixtureURL(name), encoding: .utf8)
    return try text.split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}
