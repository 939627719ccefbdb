import Foundation
import Testing

@Suite struct CheckCommandTests {
    private func record(_ capture: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-check-\(UUID().uuidString).jsonl")
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "-o", url.path, "Captures/\(capture)"])
        #expect(run.status == 0)
        return url
    }

    /// A transcript written by hand: one V2 WebSocket connection opened at 1.0 with these text
    /// frames, then, when `closedAt` is given, the close handshake (or, `byTCP`, a FIN from the
    /// client with no close frame). The caller removes the file.
    private func handMade(
        _ frames: [(time: Double, from: String, raw: String)], closedAt: Double? = nil, byTCP: Bool = false
    ) throws -> URL {
        var lines = [
            #"{"type":"session","format":"phxtap/1","source":"hand-made"}"#,
            #"{"type":"open","conn":1,"time":1.0,"client":"127.0.0.1:5000","server":"127.0.0.1:4000","transport":"websocket","path":"/socket/websocket","params":{"vsn":"2.0.0"},"serializer":"v2","status":101,"vsn":"2.0.0"}"#,
        ]
        for (i, frame) in frames.enumerated() {
            let raw = frame.raw.replacingOccurrences(of: "\"", with: "\\\"")
            lines.append(#"{"type":"message","conn":1,"seq":\#(i + 1),"time":\#(frame.time),"from":"\#(frame.from)","opcode":"text","size":0,"raw":"\#(raw)","annotations":[]}"#)
        }
        if let closedAt, byTCP {
            lines.append(#"{"type":"close","conn":1,"time":\#(closedAt),"via":"tcp-fin","from":"client","code":null,"reason":"TCP connection closed by the client without a close frame"}"#)
        } else if let closedAt {
            lines.append(#"{"type":"close","conn":1,"time":\#(closedAt),"via":"close-frame","from":"client","code":1000,"reason":""}"#)
            lines.append(#"{"type":"close","conn":1,"time":\#(closedAt + 0.01),"via":"close-frame","from":"server","code":1000,"reason":""}"#)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-check-\(UUID().uuidString).jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func cleanTranscriptPasses() throws {
        let url = try record("basic.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try PhxtapProcess.run(["check", "--format", "text", url.path])
        #expect(run.status == 0)
        #expect(run.stdout.hasSuffix("summary: 1 connection, 16 messages, 0 undecodable, 0 errors, 0 warnings, 2 info\n"))
    }

    /// A transcript read from a pipe that is still open (a live proxy's `--format jsonl`
    /// output) is checked as it comes: the lines of what has arrived are out while phxtap waits
    /// for more, not after a megabyte of it or the end.
    @Test func aTranscriptFromAPipeIsCheckedWhileItIsStillComing() throws {
        let fromFile = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/basic.pcap"])
        let lines = fromFile.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        let phxtap = try RunningPhxtap(["check", "--all", "--format", "jsonl", "-"])
        phxtap.write(Data((lines[..<6].joined(separator: "\n") + "\n").utf8))
        let shown = phxtap.waitForOutput(seconds: 30) { $0.contains(#""type":"message""#) }
        #expect(shown, "no message shown while the transcript was still coming")
        phxtap.write(Data((lines[6...].joined(separator: "\n") + "\n").utf8))
        let run = try phxtap.finish()
        #expect(run.status == 0)
        #expect(run.stdout.split(separator: "\n").dropFirst() == lines.dropFirst())
    }

    /// Numbers no formatter can hold (a time of 1e300 s, an opcode of 1e300) are refused with
    /// one sentence, not a trap: in a transcript, and in a HAR file.
    @Test func absurdNumbersInTheInputAreRefusedNotACrash() throws {
        let url = try record("basic.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.contains(#""type":"message""#) })
        lines[index] = lines[index].replacing(#/"time":[0-9.]+/#, with: #""time":1e300"#)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let run = try PhxtapProcess.run(["check", "--format", "text", url.path])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("phxtap: ") && run.stderr.contains("\"time\""))
        #expect(run.stderr.split(separator: "\n").count == 1)

        let har = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-absurd-\(UUID().uuidString).har")
        defer { try? FileManager.default.removeItem(at: har) }
        let harText = try PhxtapProcess.run(["read", "--format", "har", "Captures/basic.pcap"]).stdout
            .replacingOccurrences(of: #""opcode":1"#, with: #""opcode":1e300"#)
        try harText.write(to: har, atomically: true, encoding: .utf8)
        let fromHAR = try PhxtapProcess.run(["check", "--format", "text", "--all", har.path])
        #expect(fromHAR.status == 0 || fromHAR.status == 2, "\(fromHAR.stderr)")
        #expect(!fromHAR.stderr.contains("Fatal error"))
    }

    @Test func violationsFailTheGateAndAreListed() throws {
        let url = try record("errors.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try PhxtapProcess.run(["check", "--format", "text", url.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("[error push-to-unjoined-topic:"))
        #expect(!run.stdout.contains("C→S room:errs phx_join"), "unannotated messages are left out without --all")
        let never = try PhxtapProcess.run(["check", "--fail-on", "never", url.path])
        #expect(never.status == 0)
    }

    @Test func phoenixVersionChangesTheVerdict() throws {
        // A push with a null join_ref on a joined channel: dropped silently by Phoenix 1.8.3 to 1.8.11.
        let url = try handMade([
            (1.1, "client", #"["1","1","room:a","phx_join",{}]"#),
            (1.2, "server", #"["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]"#),
            (1.3, "client", #"[null,"2","room:a","ping",{}]"#),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        let old = try PhxtapProcess.run(["check", "--phoenix-version", "1.8.5", url.path])
        #expect(old.status == 1, "\(old.stdout)")
        let new = try PhxtapProcess.run(["check", "--phoenix-version", "1.8.12", url.path])
        #expect(new.status == 0, "\(new.stdout)")
        let bad = try PhxtapProcess.run(["check", "--phoenix-version", "latest", url.path])
        #expect(bad.status == 2)
    }

    /// Rules 17 and 21 followed through by the binary: phoenix.js's phx_leave of a join that
    /// timed out is expected (not a leave of an unjoined topic), a rejoin without one is noted,
    /// and so is a leave answered ok whose phx_close had not come when the connection closed.
    @Test func leavesAndJoinTimeoutsAreFollowedThrough() throws {
        let frames: [(time: Double, from: String, raw: String)] = [
            (1.0, "client", #"["1","1","room:slow","phx_join",{}]"#),
            (1.0, "client", #"["2","2","room:lazy","phx_join",{}]"#),
            (11.1, "client", #"["1","3","room:slow","phx_leave",{}]"#),  // phoenix.js after the timeout
            (11.2, "server", #"["1","3","room:slow","phx_reply",{"response":{},"status":"ok"}]"#),
            (12.5, "client", #"["4","4","room:lazy","phx_join",{}]"#),  // no leave of join_ref 2 first
            (12.6, "server", #"["4","4","room:lazy","phx_reply",{"response":{},"status":"ok"}]"#),
            (13.0, "client", #"["5","5","room:done","phx_join",{}]"#),
            (13.1, "server", #"["5","5","room:done","phx_reply",{"response":{},"status":"ok"}]"#),
            (14.0, "client", #"["5","6","room:done","phx_leave",{}]"#),
            (14.1, "server", #"["5","6","room:done","phx_reply",{"response":{},"status":"ok"}]"#),  // and no phx_close
        ]
        let url = try handMade(frames, closedAt: 20.0)
        defer { try? FileManager.default.removeItem(at: url) }

        let run = try PhxtapProcess.run(["check", "--format", "text", url.path])
        #expect(run.status == 0, "\(run.stderr)")
        let annotations = run.stdout.split(separator: "\n").filter { $0.contains(" [") }
        let rules = annotations.compactMap { $0.firstMatch(of: #/\[(error|warning|info) ([a-z-]+):/#).map { String($0.2) } }
        #expect(rules == ["join-timeout", "join-timeout", "join-timeout-no-leave", "connection-close", "leave-without-close"], "\(run.stdout)")
        #expect(annotations.contains { $0.contains("leave-without-close") && $0.hasSuffix("(#9)") }, "\(run.stdout)")
        #expect(annotations.contains { $0.contains("C→S room:lazy phx_join j=4") && $0.contains("join-timeout-no-leave") }, "\(run.stdout)")

        // The same connection ended by TCP alone is closed too; a capture that merely stops is not.
        let byTCP = try handMade(frames, closedAt: 20.0, byTCP: true)
        defer { try? FileManager.default.removeItem(at: byTCP) }
        let finRun = try PhxtapProcess.run(["check", "--format", "text", byTCP.path])
        #expect(finRun.stdout.contains("[info leave-without-close:"), "\(finRun.stdout)")
        let cut = try handMade(frames)
        defer { try? FileManager.default.removeItem(at: cut) }
        let cutRun = try PhxtapProcess.run(["check", "--format", "text", cut.path])
        #expect(cutRun.stdout.contains("join-timeout-no-leave") && !cutRun.stdout.contains("leave-without-close"), "\(cutRun.stdout)")
    }

    /// A join answered after 3 s is on time for phoenix.js (10 s) but not for a client that gives
    /// up after 2 s: --push-timeout tells the checker which.
    @Test func pushTimeoutIsTheClients() throws {
        let url = try handMade([
            (1.0, "client", #"["1","1","room:a","phx_join",{}]"#),
            (4.0, "server", #"["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]"#),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        let phoenixJS = try PhxtapProcess.run(["check", "--format", "text", url.path])
        #expect(phoenixJS.status == 0)
        #expect(!phoenixJS.stdout.contains("["), "\(phoenixJS.stdout)")
        let impatient = try PhxtapProcess.run(["check", "--format", "text", "--push-timeout", "2", url.path])
        #expect(impatient.stdout.contains("[warning join-timeout: phx_join of room:a (ref 1) got no reply within 2 s"), "\(impatient.stdout)")
        #expect(impatient.stdout.contains("[warning orphan-reply:"), "\(impatient.stdout)")
        let zero = try PhxtapProcess.run(["check", "--push-timeout", "0", url.path])
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--push-timeout expects seconds above 0"), "\(zero.stderr)")
    }

    /// A transcript says what it was checked with, and checking it again assumes the same unless
    /// the command line says otherwise: a proxy run with --push-timeout 2 and a later `check` of
    /// its record give the same verdict.
    @Test func transcriptKeepsWhatItWasCheckedWith() throws {
        let handMade = try handMade([
            (1.0, "client", #"["1","1","room:a","phx_join",{}]"#),
            (4.0, "server", #"["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]"#),
        ])
        defer { try? FileManager.default.removeItem(at: handMade) }
        let recording = try PhxtapProcess.run([
            "check", "--all", "--format", "jsonl", "--phoenix-version", "1.7.24", "--push-timeout", "2", handMade.path,
        ])
        let recorded = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-check-\(UUID().uuidString).jsonl")
        try recording.stdout.write(to: recorded, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: recorded) }
        #expect(recording.stdout.hasPrefix(#"{"type":"session","format":"phxtap/1","source":"\#(handMade.path)","phoenix_version":"1.7.24","push_timeout":2.000000}"#))

        let again = try PhxtapProcess.run(["check", "--format", "text", recorded.path])
        #expect(again.stdout.hasPrefix("phxtap/1 transcript of \(recorded.path) (Phoenix 1.7.24 behaviour, 2 s push timeout)\n"), "\(again.stdout)")
        #expect(again.stdout.contains("[warning join-timeout: phx_join of room:a (ref 1) got no reply within 2 s"), "\(again.stdout)")
        #expect(again.stderr.isEmpty, "\(again.stderr)")
        // The same through a pipe: the first line is taken to be looked at, then read with the rest.
        let piped = try PhxtapProcess.run(["check", "--format", "text", "-"], stdin: recording.stdout)
        #expect(piped.stdout.hasPrefix("phxtap/1 transcript of - (Phoenix 1.7.24 behaviour, 2 s push timeout)\n"), "\(piped.stdout)")
        #expect(piped.stdout.contains("[warning join-timeout: phx_join of room:a (ref 1) got no reply within 2 s"), "\(piped.stdout)")
        let sessionOnly = try PhxtapProcess.run(["check", "--format", "jsonl", "-"], stdin: String(recording.stdout.prefix { $0 != "\n" }))
        #expect(sessionOnly.status == 0, "\(sessionOnly.stderr)")
        #expect(sessionOnly.stdout.hasPrefix(#"{"type":"session","format":"phxtap/1","source":"-","phoenix_version":"1.7.24","push_timeout":2.000000}"#), "\(sessionOnly.stdout)")
        // read re-checks a transcript too, under the same assumptions.
        let read = try PhxtapProcess.run(["read", "--format", "text", recorded.path])
        #expect(read.stdout.hasPrefix("phxtap/1 transcript of \(recorded.path) (Phoenix 1.7.24 behaviour, 2 s push timeout)\n"), "\(read.stdout)")
        #expect(read.stdout.contains("[warning join-timeout: phx_join of room:a (ref 1) got no reply within 2 s"), "\(read.stdout)")
        let markdown = try PhxtapProcess.run(["export", "--format", "markdown", recorded.path])
        #expect(markdown.stdout.contains("Checked against Phoenix 1.7.24 behaviour, 2 s push timeout."), "\(markdown.stdout)")

        // The command line wins.
        let overridden = try PhxtapProcess.run(["check", "--format", "text", "--push-timeout", "10", "--phoenix-version", "1.8.3", recorded.path])
        #expect(overridden.stdout.hasPrefix("phxtap/1 transcript of \(recorded.path) (Phoenix 1.8.3 behaviour)\n"), "\(overridden.stdout)")
        #expect(!overridden.stdout.contains("join-timeout"), "\(overridden.stdout)")

        // Transcripts that disagree (the hand-made one was checked with phoenix.js's 10 s): the
        // default, and a sentence saying why.
        let mixed = try PhxtapProcess.run(["check", "--format", "text", recorded.path, handMade.path])
        #expect(!mixed.stdout.contains("join-timeout"), "\(mixed.stdout)")
        #expect(mixed.stderr.contains("phxtap: the transcripts were checked with different --push-timeout values (2 s, 10 s)"), "\(mixed.stderr)")
    }

    @Test func unreadableTranscriptsExitTwo() throws {
        let missing = try PhxtapProcess.run(["check", "/nonexistent/t.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "phxtap: cannot read /nonexistent/t.jsonl: no such file\n")
        let notJSON = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-check-\(UUID().uuidString).jsonl")
        try "{\"type\":\"session\",\"format\":\"phxtap/1\"}\nnot json\n".write(to: notJSON, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: notJSON) }
        let broken = try PhxtapProcess.run(["check", notJSON.path])
        #expect(broken.status == 2)
        #expect(broken.stderr == "phxtap: \(notJSON.path): transcript line 2: not JSON (invalid JSON at byte 0: expected 'null')\n")
        let notACapture = try PhxtapProcess.run(["check", "Package.swift"])
        #expect(notACapture.status == 2)
        #expect(notACapture.stderr.split(separator: "\n").count == 1)
    }
}

@Suite struct TranscriptStreamingTests {
    private func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-stream-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private static let open = #"{"type":"open","conn":1,"time":1.0,"client":"c:1","server":"s:2","transport":"websocket","path":"/socket/websocket","params":{"vsn":"2.0.0"},"serializer":"v2","status":101,"vsn":"2.0.0"}"#

    private static func message(seq: Int, from: String, raw: String) -> String {
        let escaped = raw.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"type":"message","conn":1,"seq":\#(seq),"time":1.\#(seq),"from":"\#(from)","opcode":"text","size":0,"raw":"\#(escaped)","annotations":[]}"#
    }

    /// Transcripts are read a megabyte at a time: a line of several megabytes (one large
    /// frame) spans pieces and is still read whole, and a last line without a newline counts.
    @Test func aLineLongerThanAReadPieceIsReadWhole() throws {
        let body = String(repeating: "x", count: 2_500_000)
        let join = #"["1","1","room:a","phx_join",{"body":"\#(body)"}]"#
        let reply = #"["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]"#
        let url = try write([Self.open, Self.message(seq: 1, from: "client", raw: join), Self.message(seq: 2, from: "server", raw: reply)]
            .joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try PhxtapProcess.run(["check", "--all", "--format", "jsonl", url.path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        let joinLine = try #require(lines.first { $0.contains(#""event":"phx_join""#) })
        #expect(joinLine.contains(#""size":\#(join.utf8.count),"#))
        #expect(lines.contains { $0.contains(#""event":"phx_reply""#) && $0.contains(#""reply_to":1"#) })
        #expect(lines.last?.contains(#""messages":2"#) == true)
    }

    /// A damaged line stops the reading with one sentence and exit 2, after the records that
    /// came before it have been checked and shown.
    @Test func aDamagedLineComesAfterWhatPrecededIt() throws {
        let join = #"["1","1","room:a","phx_join",{}]"#
        let url = try write([Self.open, Self.message(seq: 1, from: "client", raw: join), "{\"type\":\"message\",", ""]
            .joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try PhxtapProcess.run(["check", "--all", "--format", "jsonl", url.path])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("phxtap: \(url.path): transcript line 3: not JSON"))
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stdout.contains(#""event":"phx_join""#))

        let export = try PhxtapProcess.run(["export", "--format", "jsonl", url.path])
        #expect(export.status == 2)
        #expect(export.stderr.hasPrefix("phxtap: \(url.path): transcript line 3: not JSON"))
        #expect(export.stdout.contains(#""event":"phx_join""#))
    }
}
