import Foundation
import PcapSource
import PhoenixProtocol
import TapPipeline
import Testing

/// The captures built by make_fixtures.py, one reassembly case each.
@Suite struct FixtureTests {
    static let request = "GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\n\r\n"
    static let response = "HTTP/1.1 101 Switching Protocols\r\n\r\n"
    static let simple = ConnectionLog(
        client: "10.0.0.1:51000", server: "10.0.0.2:4000",
        fromClient: [.text(request)], fromServer: [.text(response)], closed: .fin(from: .client))

    @Test(arguments: ["ethernet.pcap", "vlan.pcap", "qinq.pcap", "null_le.pcap", "null_be.pcap", "raw.pcap",
                      "sll.pcap", "sll2.pcap"])
    func linkLayersGiveTheSameStreams(name: String) {
        let (logs, report) = Fixtures.read(name)
        #expect(logs == [Self.simple])
        #expect(report.problems.isEmpty)
        #expect(report.packets == 12)
        #expect(report.statistics.orphanSegments == 1)  // the last ACK after both FINs
    }

    @Test func ipv6() {
        var expected = Self.simple
        expected.client = "[2001:db8::1]:51000"
        expected.server = "[2001:db8::2]:4000"
        #expect(Fixtures.read("ipv6.pcap").logs == [expected])
    }

    @Test func ipv6OverBSDLoopbackBetweenOneAddress() {
        var expected = Self.simple
        expected.client = "[::1]:51000"
        expected.server = "[::1]:4000"
        #expect(Fixtures.read("ipv6_null.pcap").logs == [expected])
    }

    @Test func reorderedSegmentsArePutBackInPlace() {
        var expected = Self.simple
        expected.fromClient = [.text("GET /socket/websocket?vsn=2.0.0\r\n\r\n")]
        #expect(Fixtures.read("reorder.pcap").logs == [expected])
    }

    @Test func retransmissionsAreSilentUnlessTheyDisagree() {
        var expected = Self.simple
        expected.fromClient = [.text("hello world!")]
        expected.fromServer = []
        expected.notes = ["tcp-retransmission-mismatch"]
        #expect(Fixtures.read("retransmit.pcap").logs == [expected])
    }

    @Test func overlappingSegmentsGiveEachByteOnce() {
        var expected = Self.simple
        expected.fromClient = [.text("0123456789ABCDEFGHIJKLMNOPQRSTU")]
        expected.fromServer = []
        #expect(Fixtures.read("overlap.pcap").logs == [expected])
    }

    @Test func aLostSegmentIsAGapOfItsSize() {
        var expected = Self.simple
        expected.fromClient = [.text("AAAA"), .gap(7), .text("CC")]
        expected.fromServer = [.text("ok")]
        #expect(Fixtures.read("loss.pcap").logs == [expected])
    }

    @Test func aLostLastSegmentIsBoundedByTheFin() {
        var expected = Self.simple
        expected.fromClient = [.text("AAAA"), .gap(5)]
        expected.fromServer = []
        #expect(Fixtures.read("loss_tail.pcap").logs == [expected])
    }

    @Test func snapLengthTruncationIsAGapOfTheMissingCount() {
        var expected = Self.simple
        expected.fromClient = [.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), .gap(74), .text("next")]
        expected.fromServer = []
        #expect(Fixtures.read("snaplen.pcap").logs == [expected])
    }

    @Test func sequenceNumbersWrapAround() {
        var expected = Self.simple
        expected.fromClient = [.text("wrap-around!!")]
        expected.fromServer = [.text("server wraps too")]
        #expect(Fixtures.read("wrap.pcap").logs == [expected])
    }

    @Test func interleavedConnectionsEachGetTheirOwnConn() {
        let logs = Fixtures.read("interleaved.pcap").logs
        let expected = (0..<3).map { i in
            ConnectionLog(
                client: i == 1 ? "10.0.0.9:51001" : "10.0.0.1:5100\(i)", server: "10.0.0.2:4000",
                fromClient: [.text("conn\(i)-request")], fromServer: [.text("conn\(i)-response")],
                closed: .fin(from: .client))
        }
        #expect(logs == expected)
    }

    @Test func aCaptureStartingMidConnectionGuessesTheServerByPort() {
        let expected = ConnectionLog(
            client: "10.0.0.1:51000", server: "10.0.0.2:4000",
            fromClient: [.gap(nil), .text("client bytes")], fromServer: [.gap(nil), .text("tail of a frame and more")],
            closed: .fin(from: .client))
        #expect(Fixtures.read("midstream.pcap").logs == [expected])
    }

    @Test func assumedServerPortsOverrideTheLowerPortGuess() {
        let guessed = Fixtures.read("midstream_ports.pcap").logs
        #expect(guessed.map(\.client) == ["10.0.0.2:8443"])  // the lower port, 3000, taken for the server
        let told = Fixtures.read("midstream_ports.pcap", options: CaptureOptions(assumeServerPorts: [8443])).logs
        #expect(told == [ConnectionLog(
            client: "10.0.0.1:3000", server: "10.0.0.2:8443",
            fromClient: [.gap(nil), .text("client first")], fromServer: [.gap(nil), .text("server reply")],
            closed: .endOfInput)])
    }

    @Test func ipv4FragmentsAreReassembledAndAnIncompleteDatagramIsNoted() {
        let (logs, report) = Fixtures.read("ipv4_fragments.pcap")
        let pattern = (0..<1200).map { UInt8(($0 * 7) % 256) }
        var expected = Self.simple
        expected.fromClient = [.bytes(pattern), .gap(1000), .text("tail")]
        expected.fromServer = []
        expected.notes = ["ip-fragment"]
        #expect(logs == [expected])
        #expect(report.statistics.fragments == 5)
        #expect(report.statistics.reassembledDatagrams == 1)
    }

    @Test func ipv6FragmentsAreReassembled() {
        let pattern = (0..<1200).map { UInt8(($0 * 7) % 256) }
        var expected = Self.simple
        expected.client = "[2001:db8::1]:51000"
        expected.server = "[2001:db8::2]:4000"
        expected.fromClient = [.bytes(pattern)]
        expected.fromServer = []
        #expect(Fixtures.read("ipv6_fragments.pcap").logs == [expected])
    }

    @Test func aResetFlushesHeldBytesAfterTheGap() {
        let expected = ConnectionLog(
            client: "10.0.0.1:51000", server: "10.0.0.2:4000",
            fromClient: [.text("before"), .gap(4), .text("after")], fromServer: [], closed: .reset(from: .server))
        #expect(Fixtures.read("reset.pcap").logs == [expected])
    }

    @Test func aNewSynOnOpenPortsEndsTheOldConnection() {
        let logs = Fixtures.read("port_reuse.pcap").logs
        #expect(logs == [
            ConnectionLog(
                client: "10.0.0.1:51000", server: "10.0.0.2:4000", fromClient: [.text("old connection")],
                closed: .failed("a new connection (SYN) reused its addresses and ports")),
            ConnectionLog(
                client: "10.0.0.1:51000", server: "10.0.0.2:4000", fromClient: [.text("new connection")],
                closed: .fin(from: .client)),
        ])
    }

    @Test func anUnknownLinkTypeIsOneSentence() {
        let path = Fixtures.path("user_link.pcap")
        let (logs, report) = Fixtures.read([path])
        #expect(logs.isEmpty)
        #expect(report.problems == [.unsupportedLinkType(path: path, linkType: 147)])
        #expect(report.nothingRead)
        #expect(report.problems.first?.description == "\(path) uses link-layer type 147, which phxtap does not decode "
            + "(supported: Ethernet, Linux cooked v1 and v2, BSD loopback, raw IP).")
    }

    @Test func aTruncatedFileGivesEverythingBeforeTheDamage() {
        let path = Fixtures.path("truncated.pcap")
        let (logs, report) = Fixtures.read([path])
        #expect(logs == [ConnectionLog(
            client: "10.0.0.1:51000", server: "10.0.0.2:4000", fromClient: [.text(Self.request)], closed: .endOfInput)])
        #expect(report.packets == 7)
        #expect(!report.nothingRead)
        guard case .damaged(path, 7, let reason)? = report.problems.first, report.problems.count == 1 else {
            Issue.record("expected one damage report, got \(report.problems)")
            return
        }
        #expect(reason.contains("truncated"))
        #expect(report.problems[0].description.hasPrefix("\(path) is damaged after packet 7: truncated"))
    }

    @Test func aCorruptRecordStopsReadingWithOneSentence() {
        let path = Fixtures.path("corrupt.pcap")
        let (logs, report) = Fixtures.read([path])
        #expect(logs.map(\.fromClient) == [[.text("GET /socke")]])
        guard case .damaged(path, 4, let reason)? = report.problems.first else {
            Issue.record("expected a damage report, got \(report.problems)")
            return
        }
        #expect(reason.contains("200000000"))
    }

    @Test func aFileThatIsNoCaptureReadsNothing() {
        let path = Fixtures.path("not_a_capture.pcap")
        let (logs, report) = Fixtures.read([path])
        #expect(logs.isEmpty)
        #expect(report.nothingRead)
        guard case .cannotOpen(path, let reason)? = report.problems.first else {
            Issue.record("expected cannotOpen, got \(report.problems)")
            return
        }
        #expect(reason == "unknown file format")
    }

    @Test func aMissingFileIsOneSentence() {
        #expect(throws: CaptureError.self) { try PcapFileReader(path: "/nonexistent/x.pcap") }
        do {
            _ = try PcapFileReader(path: "/nonexistent/x.pcap")
        } catch {
            #expect(error.description == "Cannot read /nonexistent/x.pcap as a capture: No such file or directory.")
        }
    }

    @Test func aBPFFilterSelectsPackets() throws {
        let reader = try PcapFileReader(path: Fixtures.path("interleaved.pcap"), filter: "tcp port 51002")
        var count = 0
        #expect(reader.forEachPacket { _ in count += 1 } == nil)
        #expect(count == 9)
        let (logs, _) = Fixtures.read(
            [Fixtures.path("interleaved.pcap")], options: CaptureOptions(filter: "tcp port 51002"))
        #expect(logs.map(\.client) == ["10.0.0.1:51002"])
    }

    @Test func aBadFilterIsOneSentence() {
        do {
            _ = try PcapFileReader(path: Fixtures.path("ethernet.pcap"), filter: "tcp port banana")
            Issue.record("the filter compiled")
        } catch {
            guard case .badFilter("tcp port banana", _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }

    @Test func onlyOpenConnectionsHoldState() throws {
        let reader = try PcapFileReader(path: Fixtures.path("interleaved.pcap"))
        var decoder = CaptureDecoder()
        var events: [ConnectionEvent] = []
        var most = 0
        let damage = reader.forEachPacket { packet in
            decoder.packet(
                linkType: reader.linkType, time: packet.time, data: packet.data, originalLength: packet.originalLength,
                into: &events)
            most = max(most, decoder.openConnections)
        }
        #expect(damage == nil)
        #expect(most == 3)
        #expect(decoder.openConnections == 0)  // every connection closed with its FINs, state dropped
        #expect(decoder.finish(time: 0).isEmpty)
    }

    @Test func progressIsReportedForEachFile() {
        var seen: [CaptureProgress] = []
        let paths = [Fixtures.path("ethernet.pcap"), Fixtures.path("vlan.pcap")]
        let report = CaptureReader.read(paths: paths, progress: { seen.append($0) }) { _ in }
        #expect(seen.map(\.path) == paths)
        #expect(seen.map(\.fileIndex) == [0, 1])
        #expect(seen.map(\.fileCount) == [2, 2])
        #expect(seen.map(\.bytesRead) == [1001, 1017])  // each file read to its end
        #expect(seen.map(\.fileSize) == [1001, 1017])
        #expect(seen.map(\.packets) == [12, 24])
        #expect(report.packets == 24)
    }

    static func contents(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Fixtures.directory.appendingPathComponent(name)))
    }

    /// Checks that `pieces` lay `expected` out exactly: each byte at its own position, gaps
    /// standing for the bytes they skip. Returns the number of bytes reported lost.
    static func checkLayout(_ pieces: [Piece], against expected: [UInt8]) -> Int {
        var position = 0, lost = 0
        for piece in pieces {
            switch piece {
            case .bytes(let bytes):
                #expect(position + bytes.count <= expected.count)
                if position + bytes.count <= expected.count {
                    #expect(Array(expected[position..<(position + bytes.count)]) == bytes, "bytes at \(position)")
                }
                position += bytes.count
            case .gap(let missing):
                #expect(missing != nil)
                position += missing ?? 0
                lost += missing ?? 0
            }
        }
        #expect(position == expected.count)
        return lost
    }

    @Test func aRealTcpdumpAnyCaptureGivesTheBytesSent() throws {
        // Recorded with tcpdump -i any (Linux cooked v2) by record_exchange.py.
        let (logs, report) = Fixtures.read("live_any.pcap")
        #expect(report.problems.isEmpty)
        #expect(logs.count == 1)
        #expect(logs.first?.server == "127.0.0.1:4700")
        #expect(logs.first?.fromClient == [.bytes(try Self.contents("live.client"))])
        #expect(logs.first?.fromServer == [.bytes(try Self.contents("live.server"))])
        #expect(logs.first?.closed == .fin(from: .server))
    }

    @Test func aRealSnapLengthCaptureKeepsEveryCapturedByteInPlace() throws {
        // The same exchange on lo with -s 300: every segment loses all but its first bytes.
        let (logs, _) = Fixtures.read("live_lo_snap300.pcap")
        #expect(logs.count == 1)
        let log = try #require(logs.first)
        #expect(log.notes == [])
        #expect(Self.checkLayout(log.fromClient, against: try Self.contents("live.client")) > 30_000)
        #expect(Self.checkLayout(log.fromServer, against: try Self.contents("live.server")) > 20_000)
    }
}
