import Foundation
import Testing

/// `phxtap read` on the real captures yields exactly the WebSocket (and LongPoll) messages that
/// tshark found in them: same order, direction, opcode and payload.
@Suite struct ReadCommandTests {
    static let captures: [String] = ["basic", "binary", "errors", "heartbeat", "liveview", "longpoll", "presence", "v1"]
        .map { "\($0).pcap" } + ["basic.pcapng", "binary.pcapng"]

    struct Line: Equatable, CustomStringConvertible {
        var from: String
        var opcode: String
        var payload: String
        var description: String { "\(from) \(opcode) \(payload.prefix(120))" }
    }

    static func expected(_ capture: String) throws -> [Line] {
        let name = capture.split(separator: ".")[0]
        let text = try String(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent("Captures/\(name).expected.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return Line(from: (o["direction"] as! String) == "client->server" ? "client" : "server",
                        opcode: o["opcode"] as! String, payload: o["payload"] as! String)
        }
    }

    static func transcript(_ run: PhxtapRun) throws -> [[String: Any]] {
        try run.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test(arguments: captures)
    func messagesMatchTheCapture(capture: String) throws {
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/\(capture)"])
        #expect(run.status == 0, "\(run.stderr)")
        let records = try Self.transcript(run)
        #expect(records.first?["type"] as? String == "session")
        #expect(records.first?["format"] as? String == "phxtap/1")
        #expect(records.last?["type"] as? String == "summary")
        let messages = records.filter { $0["type"] as? String == "message" }.map { m in
            Line(from: m["from"] as! String, opcode: m["opcode"] as! String,
                 payload: (m["raw"] as? String) ?? (m["raw_base64"] as! String))
        }
        let expected = try Self.expected(capture)
        #expect(messages.count == expected.count)
        for (got, want) in zip(messages, expected) {
            #expect(got == want)
        }
        #expect(records.filter { $0["type"] as? String == "message" }.allSatisfy { $0["decode_error"] == nil })
    }

    /// A transcript of several megabytes goes out through several buffers written on a thread of
    /// their own: nothing may be lost, doubled or reordered on the way, to stdout or to `-o`.
    @Test func aLongTranscriptIsWrittenWholeAndInOrder() throws {
        let copies = 12  // binary.pcap gives about 0.9 MB: well past the 1 MiB buffers, three of which circulate
        let inputs = Array(repeating: "Captures/binary.pcap", count: copies)
        let single = try Self.transcript(try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/binary.pcap"]))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-long-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: out) }
        let toStdout = try PhxtapProcess.run(["read", "--format", "jsonl"] + inputs)
        let toFile = try PhxtapProcess.run(["read", "--format", "jsonl", "-o", out.path] + inputs)
        #expect(toStdout.status == 0 && toFile.status == 0, "\(toStdout.stderr)\(toFile.stderr)")
        let fileText = try String(contentsOf: out, encoding: .utf8)
        #expect(fileText == toStdout.stdout)
        let records = try Self.transcript(toStdout)
        // The session line, each copy's records but its own session and summary, one summary.
        #expect(records.count == 2 + copies * (single.count - 2))
        #expect(records.last?["type"] as? String == "summary")
        let seqs = records.compactMap { r -> (Int, Int)? in
            guard r["type"] as? String == "message" else { return nil }
            return (r["conn"] as! Int, r["seq"] as! Int)
        }
        let perCopy = single.filter { $0["type"] as? String == "message" }.count
        #expect(seqs.count == copies * perCopy)
        // Within each connection, message numbers run 1, 2, 3... without a gap or a repeat.
        var next: [Int: Int] = [:]
        for (conn, seq) in seqs {
            #expect(seq == next[conn, default: 1], "conn \(conn) seq \(seq)")
            next[conn] = seq + 1
        }
    }

    @Test func cleanTrafficHasNoErrorsOrWarnings() throws {
        for capture in ["basic", "binary", "heartbeat", "liveview", "longpoll", "presence", "v1"] {
            let run = try PhxtapProcess.run(["read", "--format", "jsonl", "--fail-on", "warning", "Captures/\(capture).pcap"])
            #expect(run.status == 0, "\(capture): \(run.stdout.split(separator: "\n").filter { $0.contains("\"error\"") || $0.contains("\"warning\"") })")
        }
    }

    @Test func errorsCaptureShowsWhatTheTrafficReallyDid() throws {
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "--fail-on", "error", "Captures/errors.pcap"])
        #expect(run.status == 1)
        let records = try Self.transcript(run)
        let opens = records.filter { $0["type"] as? String == "open" }
        #expect(opens.map { $0["status"] as? Int } == [403, 101])
        let rules = records.flatMap { r -> [String] in
            let inline = (r["annotations"] as? [[String: Any]])?.compactMap { $0["rule"] as? String } ?? []
            return inline + [r["rule"] as? String].compactMap { $0 }
        }
        #expect(rules.contains("push-to-unjoined-topic"))
        #expect(!rules.contains("unmatched-topic"), "the reply is the expected answer to a push already flagged")
    }

    @Test func repliesAreLinkedToTheirPushes() throws {
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        let messages = try Self.transcript(run).filter { $0["type"] as? String == "message" }
        let bySeq = Dictionary(uniqueKeysWithValues: messages.map { ($0["seq"] as! Int, $0) })
        let replies = messages.filter { $0["event"] as? String == "phx_reply" }
        #expect(replies.count == 5)
        for reply in replies {
            let replyTo = try #require(reply["reply_to"] as? Int)
            let push = try #require(bySeq[replyTo])
            #expect(push["ref"] as? String == reply["ref"] as? String)
            #expect(push["topic"] as? String == reply["topic"] as? String)
            #expect(push["from"] as? String == "client")
        }
    }

    @Test func secretsAreRedactedByDefaultAndKeptOnRequest() throws {
        let redacted = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        #expect(redacted.stdout.contains(#""token":"[redacted len=3 hash="#))
        let kept = try PhxtapProcess.run(["read", "--format", "jsonl", "--no-redact", "Captures/basic.pcap"])
        #expect(kept.stdout.contains(#""params":{"token":"abc","user":"alice","vsn":"2.0.0"}"#))
    }

    @Test func unreadableInputExitsTwoWithOneSentence() throws {
        let missing = try PhxtapProcess.run(["read", "Captures/does-not-exist.pcap"])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("phxtap: "))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let notACapture = try PhxtapProcess.run(["read", "Package.swift"])
        #expect(notACapture.status == 2)
        #expect(notACapture.stderr.split(separator: "\n").count == 1)
    }

    @Test func aCaptureDamagedInItsFirstRecordExitsTwo() throws {
        // The 24-byte pcap file header and half of the first record header: nothing can be read.
        let data = try Data(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent("Captures/basic.pcap"))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-first-\(UUID().uuidString).pcap")
        try data.prefix(24 + 8).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", cut.path])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("phxtap: "))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func outputThatIsNotATerminalDefaultsToJSONLines() throws {
        // The tests read phxtap's stdout through a pipe, as a script would.
        let run = try PhxtapProcess.run(["read", "Captures/basic.pcap"])
        #expect(run.status == 0)
        let records = try Self.transcript(run)
        #expect(records.first?["format"] as? String == "phxtap/1")
        #expect(records.filter { $0["type"] as? String == "message" }.count == 16)
    }

    @Test func textViewIsOneLinePerMessage() throws {
        let run = try PhxtapProcess.run(["read", "--format", "text", "Captures/basic.pcap"])
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasSuffix(#"C→S room:lobby phx_join j=4 r=4 {"name":"alice"}"#) })
        #expect(lines.contains { $0.contains(#"S→C room:lobby phx_reply j=4 r=4 ok {"joined":"room:lobby"} (reply to 1, 0.26 ms)"#) })
        #expect(!run.stdout.contains("\u{1B}["), "no colour when not on a terminal")
        #expect(lines.last == "summary: 1 connection, 16 messages, 0 undecodable, 0 errors, 0 warnings, 2 info")
    }

    /// basic.pcap rewritten by Tests/PcapSourceTests/make_fixtures.py as other links and networks
    /// carry it: `tcpdump -i any` (Linux cooked v1 and v2), an 802.1Q VLAN, BSD loopback (macOS
    /// `lo0`), raw IP, IPv6, every datagram in IP fragments (last first), every segment cut in two
    /// and sent second half first, every segment sent as two pieces that overlap, every segment
    /// sent twice. Each gives the same messages, and
    /// nothing at warning level: reassembly leaves no trace when nothing was lost.
    @Test(arguments: [
        "basic_sll.pcap", "basic_sll2.pcap", "basic_vlan.pcap", "basic_null.pcap", "basic_raw.pcap", "basic_ipv6.pcap",
        "basic_fragments.pcap", "basic_reordered.pcap", "basic_overlap.pcap", "basic_retransmitted.pcap",
    ])
    func theSameTrafficOverOtherLinksAndSegmentsGivesTheSameMessages(capture: String) throws {
        let run = try PhxtapProcess.run([
            "read", "--format", "jsonl", "--fail-on", "warning", "Tests/PcapSourceTests/Fixtures/\(capture)",
        ])
        #expect(run.status == 0, "\(run.stdout)")
        let messages = try Self.transcript(run).filter { $0["type"] as? String == "message" }.map { m in
            Line(from: m["from"] as! String, opcode: m["opcode"] as! String, payload: (m["raw"] as? String) ?? (m["raw_base64"] as! String))
        }
        #expect(messages == (try Self.expected("basic.pcap")))
    }

    /// basic.pcap without the server segment that carried the `welcome` push: the transcript
    /// says how many bytes were lost, resumes at the next frame, and every other message is there.
    @Test func aLostSegmentIsAGapAndTheNextFrameIsReadAgain() throws {
        let run = try PhxtapProcess.run([
            "read", "--format", "jsonl", "--fail-on", "warning", "Tests/PcapSourceTests/Fixtures/basic_loss.pcap",
        ])
        #expect(run.status == 1)
        let records = try Self.transcript(run)
        let messages = records.filter { $0["type"] as? String == "message" }.map { m in
            Line(from: m["from"] as! String, opcode: m["opcode"] as! String, payload: m["raw"] as! String)
        }
        #expect(messages == (try Self.expected("basic.pcap")).filter { !$0.payload.contains(#""welcome""#) })
        let gaps = records.filter { $0["rule"] as? String == "ws-gap" }
        #expect(gaps.count == 1)
        #expect(gaps.first?["text"] as? String == "57 bytes lost; 0 received bytes skipped; resumed at a frame header")
    }

    /// `-` reads standard input, as from `tcpdump -w - ... |`: a capture (pcap or pcapng), or a
    /// transcript (which starts with `{`), through a pipe that cannot be read twice.
    @Test func standardInputIsReadAsACaptureOrATranscript() throws {
        let fromFile = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        for capture in ["Captures/basic.pcap", "Captures/basic.pcapng"] {
            let bytes = try Data(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent(capture))
            let run = try PhxtapProcess.run(["read", "--format", "jsonl", "-"], stdinBytes: bytes)
            #expect(run.status == 0, "\(run.stderr)")
            // Every line but the session line (which names the source) is the same.
            #expect(run.stdout.split(separator: "\n").dropFirst() == fromFile.stdout.split(separator: "\n").dropFirst())
        }
        let checked = try PhxtapProcess.run(["check", "--all", "--format", "jsonl", "-"], stdinBytes: Data(fromFile.stdout.utf8))
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.split(separator: "\n").dropFirst() == fromFile.stdout.split(separator: "\n").dropFirst())
    }

    /// A capture read from a pipe that is still open (a live `tcpdump -U -w -`) is shown as it
    /// comes: the messages of the packets written so far are out while phxtap waits for more,
    /// not held until the capture ends.
    @Test func aCaptureFromAPipeIsShownWhileItIsStillComing() throws {
        let capture = try Data(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent("Captures/basic.pcap"))
        // The file header and the first 20 of its 35 packets (a pcap record is a 16-byte header
        // with the captured length at offset 8, then the bytes).
        var end = 24
        for _ in 0..<20 {
            let length = capture[(end + 8)..<(end + 12)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            end += 16 + length
        }
        let phxtap = try RunningPhxtap(["read", "--format", "jsonl", "-"])
        phxtap.write(capture[..<end])
        let shown = phxtap.waitForOutput(seconds: 30) { $0.contains(#""type":"message""#) }
        #expect(shown, "no message shown while the capture was still coming")
        phxtap.write(capture[end...])
        let run = try phxtap.finish()
        #expect(run.status == 0)
        let fromFile = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        #expect(run.stdout.split(separator: "\n").dropFirst() == fromFile.stdout.split(separator: "\n").dropFirst())
    }

    @Test func compressedTrafficIsInflatedPerDirection() throws {
        // Captures/deflate.pcap: permessage-deflate with context takeover both ways (made by
        // Captures/tools/make_deflate_capture.py); later messages need earlier ones' dictionary.
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "--fail-on", "warning", "Captures/deflate.pcap"])
        #expect(run.status == 0)
        let records = try Self.transcript(run)
        #expect(records.first { $0["type"] as? String == "open" }?["extensions"] as? String == "permessage-deflate")
        let messages = records.filter { $0["type"] as? String == "message" }
        #expect(messages.count == 28)
        #expect(messages.allSatisfy { $0["decode_error"] == nil })
        let pings = messages.filter { $0["event"] as? String == "ping" }
        let replies = messages.filter { $0["event"] as? String == "phx_reply" }
        #expect(pings.count == 10)
        for ping in pings {
            #expect(replies.contains { $0["reply_to"] as? Int == ping["seq"] as? Int }, "ping \(ping["ref"] ?? "") answered")
        }
    }

    @Test func aTruncatedCaptureGivesWhatCameBeforeTheDamage() throws {
        let data = try Data(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent("Captures/basic.pcap"))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-cut-\(UUID().uuidString).pcap")
        try data.prefix(data.count * 2 / 3).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", cut.path])
        #expect(run.status == 0, "something was read, so this is not exit 2")
        let records = try Self.transcript(run)
        let messages = records.filter { $0["type"] as? String == "message" }
        // The connection was still open where the capture ends: it is closed as such, and the
        // push still awaiting its reply is settled.
        #expect(records.contains { $0["type"] as? String == "close" && $0["via"] as? String == "end-of-input" })
        #expect(records.contains { $0["type"] as? String == "annotation" && $0["rule"] as? String == "push-unanswered" })
        #expect(messages.count > 5 && messages.count < 16)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.hasPrefix("phxtap: "))
        let expected = try Self.expected("basic.pcap")
        for (got, want) in zip(messages, expected) {
            #expect((got["raw"] as? String) == want.payload)
        }
    }

    @Test func bpfFilterSelectsWhatIsRead() throws {
        let all = try PhxtapProcess.run(["read", "--format", "jsonl", "--filter", "tcp port 4000", "Captures/basic.pcap"])
        #expect(all.status == 0)
        #expect(try Self.transcript(all).filter { $0["type"] as? String == "message" }.count == 16)
        let none = try PhxtapProcess.run(["read", "--format", "jsonl", "--filter", "tcp port 9", "Captures/basic.pcap"])
        #expect(none.status == 0)
        #expect(try Self.transcript(none).filter { $0["type"] as? String == "message" }.isEmpty)
        let bad = try PhxtapProcess.run(["read", "--format", "jsonl", "--filter", "tcp portx", "Captures/basic.pcap"])
        #expect(bad.status == 2)
        #expect(bad.stderr.split(separator: "\n").count == 1)
        #expect(bad.stderr.contains("tcp portx"))
        #expect(bad.stdout.isEmpty, "a bad filter is reported before anything is written")
    }

    @Test func assumeWebsocketReadsACaptureStartedAfterTheHandshake() throws {
        // basic.pcap without its first six frames: the TCP handshake, the upgrade request and the 101.
        let late = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-late-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: late) }
        let editcap = Process()
        editcap.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        editcap.arguments = ["editcap", PhxtapProcess.packageRoot.appendingPathComponent("Captures/basic.pcap").path, late.path, "1-6"]
        try editcap.run()
        editcap.waitUntilExit()
        #expect(editcap.terminationStatus == 0)
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "--assume-websocket", "4000", late.path])
        #expect(run.status == 0)
        let records = try Self.transcript(run)
        let messages = records.filter { $0["type"] as? String == "message" }.map { m in
            Line(from: m["from"] as! String, opcode: m["opcode"] as! String, payload: (m["raw"] as? String) ?? "")
        }
        #expect(messages == (try Self.expected("basic.pcap")))
        #expect(records.contains { $0["rule"] as? String == "capture-mid-connection" })
    }

    /// A file whose name does not tell its kind is told by its first bytes: a transcript, a HAR
    /// file and a capture, each under a bare name, read as what they are.
    @Test func anInputWithoutAnExtensionIsToldByItsContent() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-kinds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = PhxtapProcess.packageRoot
        let fromCapture = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        let sources = [
            ("transcript", Data(fromCapture.stdout.utf8)),
            ("har", try Data(contentsOf: root.appendingPathComponent("Tests/PhxtapCLITests/Golden/errors.har"))),
            ("capture", try Data(contentsOf: root.appendingPathComponent("Captures/basic.pcap"))),
        ]
        for (name, bytes) in sources {
            let bare = dir.appendingPathComponent(name)
            try bytes.write(to: bare)
            let run = try PhxtapProcess.run(["read", "--format", "jsonl", bare.path])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            let messages = try Self.transcript(run).filter { $0["type"] as? String == "message" }
            #expect(!messages.isEmpty, "\(name) gave no messages")
        }
    }
}
