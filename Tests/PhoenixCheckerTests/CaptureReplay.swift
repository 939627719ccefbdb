import Foundation
import PhoenixChecker
import PhoenixProtocol

/// Replays a real capture's derived files (Fixtures/NAME.{expected,http,control}.jsonl) through
/// the checker, one connection per TCP stream (one per session for LongPoll), in capture order.
struct CaptureReplay {
    struct Said: CustomStringConvertible {
        var stream: Int
        var rule: String
        var severity: Severity
        var text: String
        var seqs: [Int]
        var description: String { "[\(stream)] \(rule)(\(severity)) \(seqs): \(text)" }
    }

    private(set) var said: [Said] = []
    private(set) var messages = 0
    private(set) var replies = 0
    private(set) var matchedReplies = 0

    init(_ name: String, version: PhoenixVersion = .newest) throws {
        let expected = try Self.lines("\(name).expected")
        let http = try Self.lines("\(name).http")
        let control = (try? Self.lines("\(name).control")) ?? []
        if expected.first?["transport"] as? String == "longpoll" {
            try replayLongPoll(expected, http, version)
        } else {
            try replayWebSockets(expected, http, control, version)
        }
    }

    static func lines(_ name: String) throws -> [[String: Any]] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "jsonl", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func time(_ line: [String: Any]) -> Double { Double(line["ts"] as! String)! }

    static func vsn(_ uri: String) -> String? {
        URLComponents(string: uri)?.queryItems?.first(where: { $0.name == "vsn" })?.value
    }

    private enum Event {
        case message([String: Any])
        case close([String: Any])
        case poll(method: String, status: Int, time: Double)
        var time: Double {
            switch self {
            case .message(let l), .close(let l): return CaptureReplay.time(l)
            case .poll(_, _, let t): return t
            }
        }
    }

    private mutating func replayWebSockets(_ expected: [[String: Any]], _ http: [[String: Any]], _ control: [[String: Any]], _ version: PhoenixVersion) throws {
        let upgrades = http.filter { ($0["kind"] as? String) == "request" && (($0["uri"] as? String) ?? "").contains("/websocket") }
        for request in upgrades {
            let stream = request["stream"] as! Int
            let status = http.first { ($0["kind"] as? String) == "response" && ($0["stream"] as? Int) == stream }?["status"] as? Int
            var checker = ConnectionChecker(options: CheckerOptions(phoenixVersion: version))
            let vsn = Self.vsn(request["uri"] as! String)
            record(stream, checker.opened(time: Self.time(request), transport: .websocket, vsn: vsn, httpStatus: status))
            let serializer = VsnNegotiation.negotiate(vsn: vsn).serializer ?? .v2
            var events = expected.filter { ($0["stream"] as? Int) == stream }.map(Event.message)
            events += control.filter { ($0["stream"] as? Int) == stream }.map(Event.close)
            try run(&checker, stream, events, serializer)
        }
    }

    private mutating func replayLongPoll(_ expected: [[String: Any]], _ http: [[String: Any]], _ version: PhoenixVersion) throws {
        var checker = ConnectionChecker(options: CheckerOptions(phoenixVersion: version))
        let first = http.first { ($0["kind"] as? String) == "request" }!
        var methods: [Int: String] = [:]
        var events: [Event] = []
        for line in http {
            if line["kind"] as? String == "request" {
                methods[line["frame"] as! Int] = line["method"] as? String
            } else if let body = line["body"] as? String,
                let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let status = object["status"] as? Int
            {
                events.append(.poll(method: methods[line["request_in"] as! Int] ?? "GET", status: status, time: Self.time(line)))
            }
        }
        guard case .poll(_, let firstStatus, _)? = events.first else { return }
        let vsn = Self.vsn(first["uri"] as! String)
        record(0, checker.opened(time: Self.time(first), transport: .longpoll, vsn: vsn, httpStatus: firstStatus))
        events += expected.map(Event.message)
        try run(&checker, 0, events, VsnNegotiation.negotiate(vsn: vsn).serializer ?? .v2)
    }

    private mutating func run(_ checker: inout ConnectionChecker, _ stream: Int, _ events: [Event], _ serializer: Serializer) throws {
        // A stable sort by time keeps file order for equal times.
        let ordered = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        var seq = 0
        var last = 0.0
        for event in ordered {
            last = max(last, event.time)
            switch event {
            case .poll(let method, let status, let time):
                record(stream, checker.longPollResponse(time: time, method: method, status: status))
            case .close(let line):
                let from: Direction = (line["direction"] as! String).hasPrefix("client") ? .client : .server
                let code = (line["close_code"] as? Int).map { UInt16($0) }
                record(stream, checker.closed(time: Self.time(line), from: from, code: code, reason: line["close_reason"] as? String ?? ""))
            case .message(let line):
                seq += 1
                messages += 1
                let from: Direction = (line["direction"] as! String).hasPrefix("client") ? .client : .server
                let opcode: DataOpcode = line["opcode"] as! String == "binary" ? .binary : .text
                let payload = line["payload"] as! String
                let bytes = opcode == .binary ? [UInt8](Data(base64Encoded: payload)!) : Array(payload.utf8)
                let decoded: Result<PhoenixMessage, DecodeError>
                do {
                    decoded = .success(try PhoenixDecoder.decode(bytes[...], opcode: opcode, from: from, serializer: serializer))
                } catch {
                    decoded = .failure(error)
                }
                if case .success(let m) = decoded, m.event == "phx_reply" { replies += 1 }
                let verdict = checker.message(ObservedMessage(seq: seq, time: Self.time(line), from: from, opcode: opcode, decoded: decoded))
                if verdict.replyTo != nil { matchedReplies += 1 }
                record(stream, verdict.findings)
                said += verdict.annotations.map { Said(stream: stream, rule: $0.rule, severity: $0.severity, text: $0.text, seqs: [seq]) }
            }
        }
        record(stream, checker.finish(time: last))
    }

    private mutating func record(_ stream: Int, _ annotations: [Annotation]) {
        said += annotations.map { Said(stream: stream, rule: $0.rule, severity: $0.severity, text: $0.text, seqs: []) }
    }

    private mutating func record(_ stream: Int, _ findings: [Finding]) {
        said += findings.map {
            Said(stream: stream, rule: $0.annotation.rule, severity: $0.annotation.severity, text: $0.annotation.text, seqs: $0.refersTo)
        }
    }

    var problems: [Said] { said.filter { $0.severity >= .warning } }
}
