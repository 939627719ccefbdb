import Foundation
import PcapSource
import PhoenixChecker
import PhoenixProtocol
import TapPipeline
import Testing
import Transcript
import WebSocketWire

/// The pipeline is the one path for live and offline traffic: the same bytes give the same
/// transcript however the source happens to cut them into chunks.
@Suite struct PipelineTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func events(_ capture: String) -> [ConnectionEvent] {
        var events: [ConnectionEvent] = []
        let report = CaptureReader.read(paths: [packageRoot.appendingPathComponent("Captures/\(capture)").path]) { events.append($0) }
        #expect(report.problems.isEmpty)
        return events
    }

    static func transcript(_ events: [ConnectionEvent]) -> [TranscriptRecord] {
        var pipeline = Pipeline()
        var out = pipeline.start(source: "test")
        for e in events { pipeline.handle(e, into: &out) }
        return out + pipeline.finish()
    }

    /// Re-cuts every chunk of bytes: `size` bytes at a time (the proxy reads whatever the socket has).
    static func rechunk(_ events: [ConnectionEvent], size: (Int) -> Int) -> [ConnectionEvent] {
        var out: [ConnectionEvent] = []
        var counter = 0
        for e in events {
            guard case .bytes(let conn, let from, let time, let bytes) = e else {
                out.append(e)
                continue
            }
            var start = 0
            while start < bytes.count {
                counter += 1
                let end = min(bytes.count, start + max(1, size(counter)))
                out.append(.bytes(conn: conn, from: from, time: time, bytes: Array(bytes[start..<end])))
                start = end
            }
        }
        return out
    }

    /// `phxtap read` runs the wire stage on the capture's reading thread and hands the staged
    /// events to the pipeline: the transcript must be the one the pipeline gives on its own,
    /// also when the stage changes hands between inputs and connections are still open at the
    /// end (the capture cut at two thirds).
    @Test(arguments: ["basic.pcap", "binary.pcap", "deflate.pcap", "errors.pcap", "longpoll.pcap", "v1.pcap"])
    func aWireStageRunElsewhereGivesTheSameTranscript(capture: String) {
        let all = Self.events(capture)
        let events = Array(all.prefix(all.count * 2 / 3))
        let reference = Self.transcript(events)
        if capture != "longpoll.pcap" {  // LongPoll sessions have no connection of their own to end
            #expect(reference.contains { if case .close(let c) = $0 { c.via == .endOfInput } else { false } })
        }
        var pipeline = Pipeline()
        var staged = pipeline.start(source: "test")
        let half = events.count / 2
        for part in [events[..<half], events[half...]] {
            var stage = pipeline.takeWireStage()
            var batch = part.map { stage.stage($0) }
            for i in batch.indices { pipeline.handle(&batch[i], into: &staged) }
            pipeline.returnWireStage(stage)
        }
        staged += pipeline.finish()
        #expect(staged == reference)
    }

    /// The reader hands each segment to the wire stage for good, so client frames are unmasked
    /// in the segment's own storage: every client message is a slice of the segment it came in.
    @Test func clientSegmentsReachTheWireStageWithoutACopy() {
        var pipeline = Pipeline()
        var stage = pipeline.takeWireStage()
        var clientMessages = 0
        var copied = 0
        _ = CaptureReader.read(paths: [Self.packageRoot.appendingPathComponent("Captures/basic.pcap").path]) {
            (event: consuming ConnectionEvent) in
            var segment: Range<UInt>?
            if case .bytes(_, .client, _, let bytes) = event {
                segment = bytes.withUnsafeBufferPointer {
                    let start = UInt(bitPattern: $0.baseAddress)
                    return start..<(start + UInt($0.count))
                }
            }
            for case .message(.client, _, let payload, _, _) in stage.stage(consume event).events {
                clientMessages += 1
                let start = payload.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
                if segment?.contains(start) != true { copied += 1 }
            }
        }
        #expect(clientMessages > 5, "\(clientMessages)")
        #expect(copied == 0, "\(copied) of \(clientMessages) client messages were copied out of their segment")
    }

    @Test(arguments: ["basic.pcap", "binary.pcap", "errors.pcap", "longpoll.pcap", "liveview.pcap", "v1.pcap"])
    func transcriptDoesNotDependOnChunking(capture: String) {
        let events = Self.events(capture)
        let reference = Self.transcript(events)
        #expect(reference.count > 5)
        let oneByte = Self.transcript(Self.rechunk(events) { _ in 1 })
        #expect(oneByte == reference, "one byte at a time")
        let ragged = Self.transcript(Self.rechunk(events) { [7, 1, 300, 2, 1448, 13][$0 % 6] })
        #expect(ragged == reference, "ragged chunks")
        var whole: [ConnectionEvent] = []
        for e in events {
            if case .bytes(let c, let f, let t, let b) = e, case .bytes(let pc, let pf, _, let pb)? = whole.last, pc == c, pf == f {
                whole[whole.count - 1] = .bytes(conn: c, from: f, time: t, bytes: pb + b)
            } else {
                whole.append(e)
            }
        }
        let merged = Self.transcript(whole).compactMap { record -> [UInt8]? in
            guard case .message(let m) = record else { return nil }
            return Array(m.raw)
        }
        let referenceMessages = reference.compactMap { record -> [UInt8]? in
            guard case .message(let m) = record else { return nil }
            return Array(m.raw)
        }
        #expect(merged == referenceMessages, "runs of a direction merged into one chunk")
    }

    @Test func captureThatStartsAfterTheHandshake() {
        // Drop the HTTP upgrade: the first client and server chunks of basic.pcap hold the request and the 101.
        var dropped: Set<Direction> = []
        let events = Self.events("basic.pcap").filter { e in
            guard case .bytes(_, let from, _, _) = e, !dropped.contains(from) else { return true }
            dropped.insert(from)
            return false
        }
        let records = Self.transcript(events)
        let messages = records.compactMap { r -> MessageRecord? in
            if case .message(let m) = r { return m }
            return nil
        }
        #expect(messages.count == 16)
        #expect(messages.allSatisfy { (try? $0.decoded.get()) != nil })
        #expect(records.contains { r in
            if case .annotation(let a) = r { return a.finding.annotation.rule == "capture-mid-connection" }
            return false
        })
    }

    @Test func everyWireViolationIsInTheRuleCatalog() {
        for id in WireViolation.allIDs {
            #expect(RuleCatalog.rule(id: id) != nil, "\(id) is not in the catalog")
        }
        for id in ["capture-mid-connection", "tcp-gap", "ip-fragment", "tcp-retransmission-mismatch"] {
            #expect(RuleCatalog.rule(id: id) != nil, "\(id) is not in the catalog")
        }
    }

    @Test func summaryCountsWhatWasEmitted() {
        let records = Self.transcript(Self.events("errors.pcap"))
        guard case .summary(let summary)? = records.last else {
            Issue.record("no summary")
            return
        }
        let messages = records.filter { if case .message = $0 { return true } else { return false } }.count
        #expect(summary.messages == messages)
        #expect(summary.connections == 2)
        var errors = 0
        for r in records {
            if case .message(let m) = r { errors += m.annotations.filter { $0.severity == .error }.count }
            if case .annotation(let a) = r, a.finding.annotation.severity == .error { errors += 1 }
        }
        #expect(summary.errors == errors)
    }

    /// On a connection seen without its handshake the first message's shape picks the
    /// serializer, even when a finding about the wire comes before it.
    @Test func aFindingBeforeTheFirstMessageDoesNotPickTheSerializer() {
        let v1 = Array(#"{"topic":"room:1","event":"new_msg","payload":{},"ref":null}"#.utf8)
        // A V1 server frame whose 16-bit length field holds a length that fits in 7 bits:
        // the wire layer reports ws-non-minimal-length before it delivers the message.
        let frame: [UInt8] = [0x81, 0x7E, 0x00, UInt8(v1.count)] + v1
        var pipeline = Pipeline(options: PipelineOptions(assumeWebSocketPorts: [4000]))
        var out = pipeline.start(source: "test")
        let client = Endpoint(host: "10.0.0.1", port: 50000), server = Endpoint(host: "10.0.0.2", port: 4000)
        for event: ConnectionEvent in [
            .opened(conn: 1, time: 0, client: client, server: server),
            .bytes(conn: 1, from: .server, time: 1, bytes: frame),
            .closed(conn: 1, time: 2, how: .endOfInput),
        ] {
            pipeline.handle(event, into: &out)
        }
        out += pipeline.finish()
        let open = out.compactMap { if case .open(let o) = $0 { return o } else { return nil } }
        #expect(open.map(\.serializer) == [.v1])
        let messages = out.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
        #expect(messages.count == 1 && messages.first?.message?.topic == "room:1")
        let rules = out.compactMap { if case .annotation(let a) = $0 { return a.finding.annotation.rule } else { return nil } }
        #expect(rules.contains("ws-non-minimal-length") && rules.contains("capture-mid-connection"))
    }
}
