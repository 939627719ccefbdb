import Foundation
import PcapSource
import PhoenixProtocol
import TapPipeline
import Testing

/// Real Phoenix 1.7.24 traffic (Captures/README.md). The WebSocket layer is not this module's,
/// so these check bytes: each stream starts with its HTTP message, and every message payload
/// of the tshark-derived expectations occurs in its stream, in order (client payloads masked
/// with their recorded key, as they are on the wire).
@Suite struct RealCaptureTests {
    static let names = ["basic", "binary", "errors", "heartbeat", "presence", "v1", "longpoll", "liveview"]

    static func jsonLines(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: Fixtures.capture(file), encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func port(_ endpoint: String) -> Int { Int(endpoint.split(separator: ":").last!)! }

    static func stream(_ pieces: [Piece]) -> [UInt8] {
        #expect(pieces.count <= 1, "a real capture's stream has no gap: \(pieces.filter { $0 != pieces.first })")
        guard case .bytes(let bytes)? = pieces.first else { return [] }
        return bytes
    }

    /// Finds `needle` in `haystack` at or after `from`; returns the index after it.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty else { return from }
        var i = from
        let first = needle[0]
        while i + needle.count <= haystack.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }

    @Test(arguments: names)
    func streamsCarryTheHTTPMessagesAndEveryPayloadInOrder(name: String) throws {
        let (logs, report) = Fixtures.read([Fixtures.capture("\(name).pcap")])
        #expect(report.problems.isEmpty)
        #expect(!logs.isEmpty)
        for log in logs {
            #expect(log.notes == [])
            // Every connection ends inside the capture (one LongPoll socket with a FIN, then a RST).
            #expect(log.closed != nil && log.closed != .endOfInput)
            #expect(log.server.hasSuffix(":4000"))
        }
        let byPort = Dictionary(uniqueKeysWithValues: logs.map { (Self.port($0.client), $0) })

        // HTTP: each connection's requests occur in order in its client stream, the first at offset 0.
        var positions: [Int: (client: Int, server: Int)] = [:]
        for line in try Self.jsonLines("\(name).http.jsonl") {
            let port = line["client_port"] as! Int
            let log = try #require(byPort[port], "no connection from client port \(port)")
            var position = positions[port] ?? (0, 0)
            if line["kind"] as? String == "request" {
                let start = "\(line["method"]!) \(line["uri"]!) HTTP/1.1\r\n"
                let stream = Self.stream(log.fromClient)
                if position.client == 0 { #expect(stream.starts(with: Array(start.utf8)), "\(name) \(port)") }
                let end = Self.find(Array(start.utf8), in: stream, from: position.client)
                #expect(end != nil, "\(name): request \(start) not in order")
                position.client = end ?? position.client
            } else {
                let start = "HTTP/1.1 \(line["status"]!) "
                let stream = Self.stream(log.fromServer)
                if position.server == 0 { #expect(stream.starts(with: Array(start.utf8)), "\(name) \(port)") }
                let end = Self.find(Array(start.utf8), in: stream, from: position.server)
                #expect(end != nil, "\(name): response \(start) not in order")
                position.server = end ?? position.server
            }
            positions[port] = position
        }

        // Messages: payload bytes, masked for the client, in order per connection and direction.
        var found = 0, checked = 0
        positions = [:]
        for line in try Self.jsonLines("\(name).expected.jsonl") {
            let fromClient = line["direction"] as! String == "client->server"
            let text = line["payload"] as! String
            var payload = line["opcode"] as! String == "binary" ? [UInt8](Data(base64Encoded: text)!) : Array(text.utf8)
            let log: ConnectionLog
            if line["transport"] as? String == "longpoll" {
                // LongPoll: client lines go verbatim into POST bodies; server ones are re-encoded.
                guard fromClient else { continue }
                log = logs[line["stream"] as! Int]
            } else {
                log = try #require(byPort[line["client_port"] as! Int])
            }
            if let key = line["mask_key"] as? String {
                let mask = stride(from: 0, to: 8, by: 2).map {
                    UInt8(key[key.index(key.startIndex, offsetBy: $0)..<key.index(key.startIndex, offsetBy: $0 + 2)], radix: 16)!
                }
                for i in payload.indices { payload[i] ^= mask[i % 4] }
            }
            checked += 1
            let port = Self.port(log.client)
            var position = positions[port] ?? (0, 0)
            let stream = Self.stream(fromClient ? log.fromClient : log.fromServer)
            let end = Self.find(payload, in: stream, from: fromClient ? position.client : position.server)
            #expect(end != nil, "\(name): message \(text.prefix(60)) not found in order")
            if let end {
                found += 1
                if fromClient { position.client = end } else { position.server = end }
            }
            positions[port] = position
        }
        #expect(found == checked && checked > 0)
    }

    @Test(arguments: ["basic", "binary"])
    func pcapngGivesTheSameStreamsAsPcap(name: String) {
        let pcap = Fixtures.read([Fixtures.capture("\(name).pcap")]).logs
        let pcapng = Fixtures.read([Fixtures.capture("\(name).pcapng")]).logs
        #expect(pcap.count == 1)
        #expect(pcapng == pcap)
    }

    @Test(arguments: ["basic_sll.pcap", "basic_sll2.pcap"])
    func linuxCookedRewritesGiveTheSameStreams(name: String) {
        let ethernet = Fixtures.read([Fixtures.capture("basic.pcap")]).logs
        #expect(Fixtures.read(name).logs == ethernet)
    }

    @Test func severalFilesNumberConnectionsOnward() {
        let (logs, report) = Fixtures.read([Fixtures.capture("basic.pcap"), Fixtures.capture("presence.pcap")])
        #expect(logs.count == 3)
        #expect(report.problems.isEmpty)
        #expect(logs.map { Self.port($0.client) } == [60288, 60296, 60298])
    }
}
