import Foundation
import Testing
import TapPipeline
import PhoenixProtocol
@testable import ProxyServer

struct PcapWriterTests {
    private let client = Endpoint(host: "127.0.0.1", port: 51_000)
    private let server = Endpoint(host: "127.0.0.1", port: 4000)

    @Test func globalHeaderIsLittleEndianEthernet() {
        // magic a1b2c3d4 (LE), version 2.4, zone 0, sigfigs 0, snaplen 262144, linktype 1
        #expect(
            PcapWriter.fileHeader()
                == [
                    0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
                    0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
                ])
    }

    /// Splits a records blob into (caplen, frame) pairs.
    private func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i + 16 <= bytes.count {
            let caplen = Int(bytes[i + 8]) | Int(bytes[i + 9]) << 8 | Int(bytes[i + 10]) << 16 | Int(bytes[i + 11]) << 24
            out.append(Array(bytes[(i + 16)..<(i + 16 + caplen)]))
            i += 16 + caplen
        }
        #expect(i == bytes.count, "records do not tile the output")
        return out
    }

    private func seq(_ frame: [UInt8]) -> UInt32 {
        frame[38...41].reduce(0) { $0 << 8 | UInt32($1) }
    }

    @Test func handshakeThenSegmentsWithConsecutiveSequenceNumbers() {
        var writer = PcapWriter()
        let opened = frames(writer.records(for: .opened(conn: 1, time: 1_700_000_000.25, client: client, server: server)))
        #expect(opened.count == 3)
        // TCP flags at Ethernet 14 + IP 20 + 13: SYN, SYN|ACK, ACK.
        #expect(opened.map { $0[47] } == [0x02, 0x12, 0x10])

        let payload = [UInt8](repeating: 0x61, count: 150_000)
        let data = frames(writer.records(for: .bytes(conn: 1, from: .client, time: 1_700_000_001, bytes: payload)))
        #expect(data.map { $0.count - 54 } == [65_000, 65_000, 20_000])
        #expect(seq(data[1]) == seq(data[0]) &+ 65_000)
        #expect(seq(data[2]) == seq(data[1]) &+ 65_000)
        #expect(seq(data[0]) == seq(opened[0]) &+ 1)

        for frame in opened + data {
            // The IPv4 header checksum sums (with itself) to 0xffff, i.e. verifies to 0.
            #expect(internetChecksum(frame[14..<34], initial: 0) == 0)
        }
        let closed = frames(writer.records(for: .closed(conn: 1, time: 1_700_000_002, how: .fin(from: .server))))
        #expect(closed.map { $0[47] } == [0x11, 0x11, 0x10])
    }

    @Test func eventsForUnknownConnectionsWriteNothing() {
        var writer = PcapWriter()
        #expect(writer.records(for: .bytes(conn: 9, from: .client, time: 0, bytes: [1, 2, 3])).isEmpty)
        #expect(writer.records(for: .closed(conn: 9, time: 0, how: .endOfInput)).isEmpty)
    }

    @Test func ipv6Addresses() {
        #expect(IPAddressBytes.parseV6("::1") == [UInt8](repeating: 0, count: 15) + [1])
        #expect(IPAddressBytes.parseV6("fe80::1%lo0") == [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1])
        #expect(IPAddressBytes.parseV6("1::2::3") == nil)
        #expect(IPAddressBytes.parseV6("127.0.0.1") == nil)
        var writer = PcapWriter()
        let six = frames(
            writer.records(
                for: .opened(
                    conn: 1, time: 0, client: Endpoint(host: "::1", port: 5000), server: Endpoint(host: "::1", port: 4000))))
        #expect(six.first.map { Array($0[12...13]) } == [0x86, 0xdd])
    }

    /// A WebSocket session written as a capture reads back in tshark with every frame.
    @Test func tsharkDecodesTheWebSocketFrames() throws {
        var writer = PcapWriter()
        var file = PcapWriter.fileHeader()
        let request = "GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        let join = Array(#"["1","1","room:lobby","phx_join",{}]"#.utf8)
        // Client frame: FIN|text, MASK|len, mask key 00000000 (masking with zeros keeps the text).
        let clientFrame: [UInt8] = [0x81, 0x80 | UInt8(join.count), 0, 0, 0, 0] + join
        let reply = Array(#"["1","1","room:lobby","phx_reply",{"status":"ok","response":{}}]"#.utf8)
        let serverFrame: [UInt8] = [0x81, UInt8(reply.count)] + reply
        let events: [ConnectionEvent] = [
            .opened(conn: 1, time: 1_700_000_000, client: client, server: server),
            .bytes(conn: 1, from: .client, time: 1_700_000_000.1, bytes: Array(request.utf8)),
            .bytes(conn: 1, from: .server, time: 1_700_000_000.2, bytes: Array(response.utf8)),
            .bytes(conn: 1, from: .client, time: 1_700_000_000.3, bytes: clientFrame),
            .bytes(conn: 1, from: .server, time: 1_700_000_000.4, bytes: serverFrame),
            .closed(conn: 1, time: 1_700_000_000.5, how: .fin(from: .client)),
        ]
        for event in events { file += writer.records(for: event) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-\(UUID().uuidString).pcap").path
        try Data(file).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let text = try Self.tshark([
            "-r", path, "-d", "tcp.port==4000,http", "-Y", "websocket", "-T", "fields", "-e", "websocket.payload.text",
        ])
        #expect(
            text.split(separator: "\n").map(String.init) == [
                String(decoding: join, as: UTF8.self), String(decoding: reply, as: UTF8.self),
            ])

        // Both checksums verify when tshark is asked to check them (1 = good).
        let sums = try Self.tshark([
            "-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields",
            "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
        ])
        let statuses = sums.split(separator: "\n").map(String.init)
        #expect(statuses.count == 10 && statuses.allSatisfy { $0 == "1\t1" }, "\(statuses)")
    }

    private static func tshark(_ arguments: [String]) throws -> String {
        let tshark = Process()
        tshark.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
        tshark.arguments = arguments
        let out = Pipe()
        tshark.standardOutput = out
        tshark.standardError = FileHandle.nullDevice
        try tshark.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tshark.waitUntilExit()
        #expect(tshark.terminationStatus == 0)
        return text
    }
}
