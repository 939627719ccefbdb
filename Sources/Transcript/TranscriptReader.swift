public import PhoenixProtocol
import PhoenixChecker

/// Why a transcript line could not be read; printed as one sentence.
public struct TranscriptReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "transcript line \(line): \(reason)" }
}

/// Reads `phxtap/1` JSON Lines back into records.
///
/// Message lines are decoded again from their `raw` bytes with the serializer of their
/// connection's `open` line, so a transcript read back gives exactly the messages that were
/// written, and `phxtap check` runs the checker over the wire bytes, not over a derived view.
public struct TranscriptReader {
    private var serializers: [Int: Serializer] = [:]
    /// Lines read so far, blank ones included: the number of the last one.
    public private(set) var lineNumber = 0

    public init() {}

    /// Reads one line; nil for a blank line.
    public mutating func read(line: Bytes) throws(TranscriptReadError) -> TranscriptRecord? {
        lineNumber += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let value: JSONValue
        do {
            value = try JSONValue.parse(line, skipping: Self.derivedMembers)
        } catch {
            throw fail("not JSON (\(error))")
        }
        guard let type = value["type"]?.stringValue else { throw fail("no \"type\" field") }
        switch type {
        case "session":
            guard value["format"]?.stringValue == transcriptFormat else {
                throw fail("format is \(value["format"]?.jsonText ?? "missing"), expected \"\(transcriptFormat)\"")
            }
            return .session(SessionRecord(
                source: value["source"]?.stringValue ?? "", phoenixVersion: value["phoenix_version"]?.stringValue,
                pushTimeout: value["push_timeout"]?.numberValue))
        case "open":
            let record = try open(value)
            serializers[record.conn] = record.serializer
            return .open(record)
        case "message":
            return .message(try message(value))
        case "annotation":
            let annotation = Annotation(
                rule: try string(value, "rule"), severity: try severity(value["severity"]), text: try string(value, "text"))
            let refersTo = value["refers_to"]?.arrayValue?.compactMap { int($0) } ?? []
            return .annotation(AnnotationRecord(
                conn: try intField(value, "conn"),
                finding: Finding(annotation: annotation, time: try number(value, "time"), refersTo: refersTo)))
        case "close":
            return .close(CloseRecord(
                conn: try intField(value, "conn"), time: try number(value, "time"),
                via: value["via"]?.stringValue.flatMap(CloseVia.init(rawValue:)) ?? .closeFrame,
                from: value["from"]?.stringValue.flatMap(Direction.init(rawValue:)),
                code: value["code"].flatMap(int).flatMap { UInt16(exactly: $0) },
                reason: value["reason"]?.stringValue ?? ""))
        case "summary":
            let counts = value["annotations"]
            return .summary(SummaryRecord(
                connections: value["connections"].flatMap(int) ?? 0, messages: value["messages"].flatMap(int) ?? 0,
                decodeErrors: value["decode_errors"].flatMap(int) ?? 0, errors: counts?["error"].flatMap(int) ?? 0,
                warnings: counts?["warning"].flatMap(int) ?? 0, infos: counts?["info"].flatMap(int) ?? 0))
        default:
            throw fail("unknown record type \"\(type)\"")
        }
    }

    private func open(_ v: JSONValue) throws(TranscriptReadError) -> OpenRecord {
        guard let serializer = v["serializer"]?.stringValue.flatMap(Serializer.init(rawValue:)) else {
            throw fail("open line without a serializer (v1 or v2)")
        }
        let params = v["params"]?.objectMembers?.map { QueryItem(name: $0.key, value: $0.value.stringValue ?? $0.value.jsonText) } ?? []
        return OpenRecord(
            conn: try intField(v, "conn"), time: try number(v, "time"), client: v["client"]?.stringValue ?? "",
            server: v["server"]?.stringValue ?? "",
            transport: v["transport"]?.stringValue.flatMap(Transport.init(rawValue:)) ?? .websocket,
            path: v["path"]?.stringValue ?? "", params: params, serializer: serializer,
            status: v["status"].flatMap(int), vsn: v["vsn"]?.stringValue,
            subprotocols: v["subprotocols"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            extensions: v["extensions"]?.stringValue)
    }

    private func message(_ v: JSONValue) throws(TranscriptReadError) -> MessageRecord {
        let conn = try intField(v, "conn")
        guard let from = v["from"]?.stringValue.flatMap(Direction.init(rawValue:)) else { throw fail("\"from\" must be client or server") }
        guard let opcode = v["opcode"]?.stringValue.flatMap(DataOpcode.init(rawValue:)) else { throw fail("\"opcode\" must be text or binary") }
        let raw: [UInt8]
        if let text = v["raw"]?.stringValue {
            raw = Array(text.utf8)
        } else if let encoded = v["raw_base64"]?.stringValue, let bytes = Base64.decode(encoded) {
            raw = bytes
        } else {
            throw fail("message without \"raw\" or a valid \"raw_base64\"")
        }
        // Without an open line (a filtered transcript), the frame's shape tells V1 from V2.
        let serializer = serializers[conn] ?? Serializer.guessed(fromFrame: raw)
        let decoded = Result { () throws(DecodeError) -> PhoenixMessage in
            try PhoenixDecoder.decode(raw[...], opcode: opcode, from: from, serializer: serializer)
        }
        var annotations: [Annotation] = []
        for a in v["annotations"]?.arrayValue ?? [] {
            annotations.append(Annotation(rule: try string(a, "rule"), severity: try severity(a["severity"]), text: try string(a, "text")))
        }
        return MessageRecord(
            conn: conn, seq: try intField(v, "seq"), time: try number(v, "time"), from: from, opcode: opcode, raw: raw[...],
            decoded: decoded, replyTo: v["reply_to"].flatMap(int), roundTrip: v["rtt"].flatMap(double),
            transport: v["transport"]?.stringValue.flatMap(Transport.init(rawValue:)) ?? .websocket,
            annotations: annotations)
    }

    /// A message line's decoded payload and reply, which are derived from `raw` again: checked
    /// as JSON but not built, since they are most of a long line.
    private static let derivedMembers: Set<String> = ["payload", "response", "payload_base64", "response_base64"]

    private func fail(_ reason: String) -> TranscriptReadError { TranscriptReadError(line: lineNumber, reason: reason) }

    private func string(_ v: JSONValue, _ key: String) throws(TranscriptReadError) -> String {
        guard let s = v[key]?.stringValue else { throw fail("\"\(key)\" must be a string") }
        return s
    }

    private func intField(_ v: JSONValue, _ key: String) throws(TranscriptReadError) -> Int {
        guard let n = v[key].flatMap(int) else { throw fail("\"\(key)\" must be a whole number") }
        return n
    }

    /// Times and durations: seconds, finite and within about 30,000 years of 1970, so that
    /// every formatter and every difference of two of them stays in range.
    private func number(_ v: JSONValue, _ key: String) throws(TranscriptReadError) -> Double {
        guard let n = v[key].flatMap(double), abs(n) < Self.maxSeconds else {
            throw fail("\"\(key)\" must be a number of seconds (below 1e12)")
        }
        return n
    }

    static let maxSeconds = 1e12

    private func severity(_ v: JSONValue?) throws(TranscriptReadError) -> Severity {
        guard let s = v?.stringValue.flatMap(Severity.init(rawValue:)) else { throw fail("severity must be error, warning or info") }
        return s
    }

    private func int(_ v: JSONValue) -> Int? {
        if case .number(let n) = v { return Int(n) }
        return nil
    }

    private func double(_ v: JSONValue) -> Double? {
        if case .number(let n) = v { return Double(n) }
        return nil
    }
}
