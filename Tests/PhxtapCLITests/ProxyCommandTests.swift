import Foundation
import Testing

/// `phxtap proxy` driven the way a user drives it: the project's Phoenix test server, the real
/// binary in front of it, and real Phoenix client libraries (phoenix-channels-python-client,
/// realtime) plus raw scenarios talking through it.
@Suite(.serialized) struct ProxyCommandTests {
    /// A child process whose standard error is watched for a line.
    final class Child: @unchecked Sendable {
        let process = Process()
        let stdoutURL: URL
        let stderrURL: URL

        init(_ executable: URL, _ arguments: [String], in dir: URL) throws {
            stdoutURL = dir.appendingPathComponent(UUID().uuidString + ".out")
            stderrURL = dir.appendingPathComponent(UUID().uuidString + ".err")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            process.executableURL = executable
            process.arguments = arguments
            process.currentDirectoryURL = PhxtapProcess.packageRoot
            var env = ProcessInfo.processInfo.environment
            env["TZ"] = "UTC"
            process.environment = env
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

        /// Waits up to 20 s for a line of stdout or stderr matching `prefix`, returning the rest of it.
        func wait(for prefix: String) throws -> String {
            for _ in 0..<400 {
                for text in [stdout, stderr] {
                    if let line = text.split(separator: "\n").first(where: { $0.contains(prefix) }) {
                        return String(line[line.range(of: prefix)!.upperBound...])
                    }
                }
                guard process.isRunning else { break }
                usleep(50_000)
            }
            throw CLIProcessError("no line with \(prefix) from \(process.arguments ?? []): \(stderr)")
        }

        func interruptAndWait() {
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
        }
    }

    struct CLIProcessError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static let python = URL(fileURLWithPath: "/usr/bin/env")

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs every client scenario against `url`, logging what each client sent and received.
    static func runClients(url: String, log: URL, in dir: URL) throws -> String {
        let clients = try Child(python, ["python3", "Tests/Peers/run_clients.py", "--url", url, "--log", log.path], in: dir)
        clients.process.waitUntilExit()
        #expect(clients.process.terminationStatus == 0, "\(clients.stdout)\(clients.stderr)")
        return clients.stdout
    }

    @Test func realClientsSeeTheSameTrafficAndTheTranscriptListsIt() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The test server behaves as Phoenix 1.7.24 (its default), and the proxy is told so (and told that the
        // clients wait 5 s for replies): what it assumed goes into the record, and a later check
        // of the record assumes the same.
        let server = try Child(Self.python, [
            "python3", "Tests/Peers/phoenix_test_server.py", "--port", "0", "--phoenix-version", "1.7.24",
        ], in: dir)
        let port = try server.wait(for: "LISTENING ").trimmingCharacters(in: .whitespaces)
        let record = dir.appendingPathComponent("session.jsonl")
        let pcap = dir.appendingPathComponent("session.pcap")
        let assumptions = ["--phoenix-version", "1.7.24", "--push-timeout", "5"]
        let proxy = try Child(PhxtapProcess.binary, [
            "proxy", "--upstream", "http://127.0.0.1:\(port)", "--listen", "127.0.0.1:0",
            "--record", record.path, "--pcap", pcap.path, "--format", "text",
        ] + assumptions, in: dir)
        let proxyPort = try proxy.wait(for: "proxying 127.0.0.1:").split(separator: " ")[0]

        let direct = dir.appendingPathComponent("direct.jsonl")
        let proxied = dir.appendingPathComponent("proxied.jsonl")
        _ = try Self.runClients(url: "ws://127.0.0.1:\(port)", log: direct, in: dir)
        _ = try Self.runClients(url: "ws://127.0.0.1:\(proxyPort)", log: proxied, in: dir)
        proxy.interruptAndWait()
        #expect(proxy.process.terminationStatus == 0, "\(proxy.stderr)")

        // Each client received the same messages with and without the proxy.
        let compare = try Child(Self.python, ["python3", "-c", """
            import sys; sys.path.insert(0, 'Tests/Peers'); import client_log
            a = client_log.comparable(sys.argv[1]); b = client_log.comparable(sys.argv[2])
            print('SAME' if a == b else 'DIFFERENT ' + str(sorted(set(a.items()) ^ set(b.items()))[:2]))
            """, direct.path, proxied.path], in: dir)
        compare.process.waitUntilExit()
        #expect(compare.stdout.hasPrefix("SAME"), "\(compare.stdout)\(compare.stderr)")

        // The live text view ends with the summary; the record has every message, decoded.
        #expect(proxy.stdout.split(separator: "\n").last?.hasPrefix("summary: ") == true)
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.first?["type"] as? String == "session")
        #expect(records.first?["phoenix_version"] as? String == "1.7.24")
        #expect(records.first?["push_timeout"] as? Double == 5)
        #expect(records.last?["type"] as? String == "summary")
        let messages = records.filter { $0["type"] as? String == "message" }
        #expect(messages.count > 100)
        #expect(messages.allSatisfy { $0["decode_error"] == nil })
        let replies = messages.filter { $0["event"] as? String == "phx_reply" }
        // Every reply is linked to its push, except those no client could link either: replies
        // to heartbeats sent with ref null, and a second reply to one ref.
        for reply in replies where reply["reply_to"] == nil {
            let rules = (reply["annotations"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
            #expect(reply["ref"] is NSNull || rules.contains("duplicate-reply"), "unlinked reply \(reply["raw"] ?? "")")
        }
        let opens = records.filter { $0["type"] as? String == "open" }
        #expect(Set(opens.compactMap { $0["transport"] as? String }) == ["websocket", "longpoll"])
        #expect(opens.contains { $0["status"] as? Int == 403 }, "the refused upgrade is recorded")
        let events = Set(messages.compactMap { $0["event"] as? String })
        for event in ["phx_join", "phx_reply", "phx_leave", "phx_close", "phx_error", "heartbeat", "presence_state", "presence_diff"] {
            #expect(events.contains(event), "\(event) went through the proxy")
        }
        #expect(messages.contains { $0["opcode"] as? String == "binary" })

        // The client bugs the real libraries have are named.
        let rules = Set(messages.flatMap { ($0["annotations"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String } })
        #expect(rules.contains("heartbeat-null-ref"), "realtime sends heartbeats with ref null")
        #expect(rules.contains("null-join-ref"), "phoenix-channels-python-client V1 sends no join_ref")

        // The proxy's own capture reads back into the same transcript.
        let back = try PhxtapProcess.run(["read", "--format", "jsonl", pcap.path] + assumptions)
        #expect(back.status == 0)
        #expect(Array(back.stdout.split(separator: "\n").dropFirst()) == Array(lines.dropFirst()))

        // The CI gate of the README (proxy --record, then check): re-checked, the record is the same
        // transcript, and the exit status follows the findings its summary counts.
        // Without the options: the record's own assumptions.
        let recheck = try PhxtapProcess.run(["check", "--all", "--format", "jsonl", record.path])
        #expect(Array(recheck.stdout.split(separator: "\n").dropFirst()) == Array(lines.dropFirst()))
        #expect(recheck.stdout.split(separator: "\n").first?.hasSuffix(#""phoenix_version":"1.7.24","push_timeout":5.000000}"#) == true)
        let counts = records.last?["annotations"] as? [String: Int] ?? [:]
        let (errors, warnings) = (counts["error"] ?? 0, counts["warning"] ?? 0)
        #expect(warnings > 0, "the real clients' bugs are warnings at least")
        #expect(recheck.status == (errors > 0 ? 1 : 0), "\(recheck.stderr)")
        let gate = try PhxtapProcess.run(["check", "--fail-on", "warning", record.path])
        #expect(gate.status == 1, "\(gate.stderr)")
        #expect(gate.stdout.contains("heartbeat-null-ref"), "the gate names what failed it")
    }

    @Test func upstreamDownAnswers502AndSaysWhy() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A port nobody listens on: bind one, note it, close it.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &len) } }
        let deadPort = Int(UInt16(bigEndian: addr.sin_port))
        close(probe)

        let record = dir.appendingPathComponent("down.jsonl")
        let proxy = try Child(PhxtapProcess.binary, [
            "proxy", "--upstream", "http://127.0.0.1:\(deadPort)", "--listen", "127.0.0.1:0", "--record", record.path,
        ], in: dir)
        let proxyPort = try proxy.wait(for: "proxying 127.0.0.1:").split(separator: " ")[0]
        let curl = try Child(Self.python, ["python3", "-c", """
            import socket, sys
            s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
            s.sendall(b'GET /socket/websocket?vsn=2.0.0 HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n')
            s.settimeout(10); print(s.recv(4096).decode().splitlines()[0])
            """, String(proxyPort)], in: dir)
        curl.process.waitUntilExit()
        #expect(curl.stdout.hasPrefix("HTTP/1.1 502"), "\(curl.stdout)\(curl.stderr)")
        proxy.interruptAndWait()
        let transcript = try String(contentsOf: record, encoding: .utf8)
        #expect(transcript.contains("proxy-upstream-failed"))
        #expect(transcript.contains(#""via":"failed""#))
    }

    @Test func cannotListenExitsTwoWithOneSentence() throws {
        let run = try PhxtapProcess.run(["proxy", "--upstream", "http://127.0.0.1:4000", "--listen", "203.0.113.9:1"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("phxtap: "))
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        let bad = try PhxtapProcess.run(["proxy", "--upstream", "ftp://example"])
        #expect(bad.status == 2)
    }
}
