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
}
