import Foundation
import Testing

/// No token, cookie or CSRF value of the bundled captures appears in any export by default.
@Suite struct RedactionTests {
    /// Every secret the captures carry, read from their HTTP and message listings: connect
    /// tokens, LongPoll session tokens, cookies, `_csrf_token`, LiveView `session`/`static`.
    static func secrets() throws -> [String] {
        var secrets: Set<String> = []
        let dir = PhxtapProcess.packageRoot.appendingPathComponent("Captures")
        for name in ExportGoldenTests.captures {
            let http = try String(contentsOf: dir.appendingPathComponent("\(name).http.jsonl"), encoding: .utf8)
            for line in http.split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                if let uri = o["uri"] as? String, let query = URLComponents(string: uri)?.queryItems {
                    for item in query where ["token", "_csrf_token"].contains(item.name) { secrets.insert(item.value ?? "") }
                }
                for header in o["headers"] as? [String] ?? [] {
                    let lower = header.lowercased()
                    if lower.hasPrefix("cookie:") || lower.hasPrefix("set-cookie:") {
                        let pair = header.split(separator: ":", maxSplits: 1)[1].split(separator: ";")[0]
                        secrets.insert(String(pair.split(separator: "=", maxSplits: 1)[1]))
                    }
                }
                if let body = o["body"] as? String, body.hasPrefix("{"),
                    let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                    let token = json["token"] as? String
                {
                    secrets.insert(token)
                }
            }
            let messages = try String(contentsOf: dir.appendingPathComponent("\(name).expected.jsonl"), encoding: .utf8)
            for line in messages.split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                guard let payload = o["payload"] as? String, payload.hasPrefix("["),
                    let frame = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [Any],
                    frame.count == 5, let body = frame[4] as? [String: Any]
                else { continue }
                for key in ["session", "static"] { if let v = body[key] as? String { secrets.insert(v) } }
                if let params = body["params"] as? [String: Any], let csrf = params["_csrf_token"] as? String { secrets.insert(csrf) }
            }
        }
        secrets.remove("")
        return secrets.sorted()
    }

    /// Long secrets must not appear anywhere; short ones ("ok", "v1") are common words, so they
    /// must not appear as a parameter's value.
    static func leaks(in output: String, secrets: [String]) -> [String] {
        secrets.filter { secret in
            if secret.count >= 8 { return output.contains(secret) }
            return output.contains("token=\(secret)&") || output.contains("token=\(secret)\"")
                || output.contains("\"token\":\"\(secret)\"") || output.contains("\"value\":\"\(secret)\"")
                || output.contains("`token=\(secret)`")
        }
    }

    @Test func theCapturesHaveSecretsToHide() throws {
        let secrets = try Self.secrets()
        // Connect tokens of every capture, the LongPoll session token, the LiveView page's
        // cookie, CSRF token and session/static tokens.
        #expect(secrets.count >= 12, "\(secrets)")
        #expect(secrets.contains("abc"))
        #expect(secrets.contains { $0.hasPrefix("SFMyNTY.") && $0.count > 100 })
        // Without redaction they do show, so the test below can fail.
        let raw = try PhxtapProcess.run(["read", "--format", "markdown", "--no-redact", "Captures/liveview.pcap"])
        #expect(!Self.leaks(in: raw.stdout, secrets: secrets).isEmpty)
    }

    @Test(arguments: ["markdown", "har"])
    func noSecretInAnyExport(format: String) throws {
        let secrets = try Self.secrets()
        for capture in ExportGoldenTests.captures {
            let run = try PhxtapProcess.run(["read", "--format", format, "Captures/\(capture).pcap"])
            #expect(run.status == 0)
            #expect(Self.leaks(in: run.stdout, secrets: secrets) == [], "\(capture) \(format)")
        }
    }

    @Test func redactKeyHidesAnApplicationField() throws {
        let run = try PhxtapProcess.run(["read", "--format", "markdown", "--redact", "name", "Captures/basic.pcap"])
        #expect(!run.stdout.contains(#""name":"alice""#))
        #expect(run.stdout.contains(#""name":"[redacted len=5 hash="#))
        // Other fields stay as they were on the wire.
        #expect(run.stdout.contains(#"{"n":1,"s":"héllo ✓"}"#))
    }
}
