import PhoenixChecker
public import PhoenixProtocol

/// Writes transcript records as `phxtap/1` JSON Lines (DESIGN.md, "Transcript format").
///
/// Keys come in a fixed order so that transcripts diff well and golden files stay stable.
/// Payloads are copied verbatim from the wire: the JSON a peer sent is the JSON the user sees.
public enum JSONLinesEncoder {
    /// One record as one line, newline included.
    public static func line(_ record: TranscriptRecord) -> [UInt8] {
        object(record).finishedLine()
    }

    /// Appends one record's line to `buffer`: what a long transcript uses, so that its lines
    /// share one buffer instead of each allocating its own.
    public static func append(_ record: TranscriptRecord, to buffer: ByteOutput) {
        switch record {
        case .message(let r): message(r, appendingTo: buffer).finishLine()
        default: buffer.append(line(record))
        }
    }

    static func object(_ record: TranscriptRecord) -> JSONObjectWriter {
        switch record {
        case .session(let r): return session(r)
        case .open(let r): return open(r)
        case .message(let r):
            return message(r, appendingTo: ByteOutput(capacity: r.raw.count * 2 + 256))
        case .annotation(let r): return annotation(r)
        case .close(let r): return close(r)
        case .summary(let r): return summary(r)
        }
    }

    private static func session(_ r: SessionRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("type", "session")
        w.string("format", transcriptFormat)
        w.string("source", r.source)
        if let v = r.phoenixVersion { w.string("phoenix_version", v) }
        if let t = r.pushTimeout { w.seconds("push_timeout", t) }
        return w
    }

    private static func open(_ r: OpenRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("type", "open")
        w.int("conn", r.conn)
        w.seconds("time", r.time, repeating: true)
        w.string("client", r.client)
        w.string("server", r.server)
        w.string("transport", r.transport.rawValue)
        w.string("path", r.path)
        var params = JSONObjectWriter()
        for item in r.params { params.dynamicString(item.name, item.value) }
        w.object("params", params)
        w.string("serializer", r.serializer.rawValue)
        if let status = r.status { w.int("status", status) } else { w.null("status") }
        if let vsn = r.vsn { w.string("vsn", vsn) }
        if !r.subprotocols.isEmpty { w.array("subprotocols", r.subprotocols.map { Array(JSONText.quoted($0).utf8) }) }
        if let ext = r.extensions { w.string("extensions", ext) }
        return w
    }

    /// The message fields of a transcript line without its place in a transcript (no type,
    /// conn, seq or time): what `phxtap decode` prints for a single frame.
    public static func messageFields(_ record: MessageRecord) -> [UInt8] {
        return message(record, inTranscript: false, appendingTo: ByteOutput(capacity: record.raw.count * 2 + 256)).finished()
    }

    private static func message(_ r: MessageRecord, inTranscript: Bool = true, appendingTo buffer: ByteOutput) -> JSONObjectWriter {
        var w = JSONObjectWriter(appendingTo: buffer)
        // Members whose value is one of a few constants are written whole: every line has them.
        if inTranscript {
            w.member(#""type":"message""#)
            w.int("conn", r.conn)
            w.int("seq", r.seq)
            w.seconds("time", r.time, repeating: true)
        }
        w.member(r.from == .client ? #""from":"client""# : #""from":"server""#)
        w.member(r.opcode == .text ? #""opcode":"text""# : #""opcode":"binary""#)
        w.int("size", r.raw.count)
        if r.transport != .websocket { w.string("transport", r.transport.rawValue) }
        // A decoded text frame was validated as UTF-8 by the decoder already.
        if r.opcode == .text, r.decodeError == nil || UTF8Validation.isValid(r.raw) {
            w.jsonString("raw", r.raw)
        } else {
            w.base64("raw_base64", r.raw)
        }
        if let error = r.decodeError {
            w.string("decode_error", error.description)
        } else {
            // Read in place, through the record: the message, its reply and payloads bound
            // out of it were copies, with a retain and a release of the frame for each payload.
            w.ref("join_ref", r.decodedMessage.joinRef)
            w.ref("ref", r.decodedMessage.ref)
            w.string("topic", r.decodedMessage.topic)
            w.string("event", r.decodedMessage.event)
            let isReply = r.decodedMessage.reply != nil
            if isReply {
                w.string("status", r.decodedMessage.reply.unsafelyUnwrapped.status)
                r.decodedMessage.reply.unsafelyUnwrapped.response.withUnsafeBytes { isJSON, bytes in
                    if isJSON { w.rawJSON("response", bytes) } else { w.base64("response_base64", bytes) }
                }
            }
            // A binary reply's payload is its status and response, written above.
            r.decodedMessage.payload.withUnsafeBytes { isJSON, bytes in
                if isJSON { w.rawJSON("payload", bytes) } else if !isReply { w.base64("payload_base64", bytes) }
            }
            if let replyTo = r.replyTo { w.int("reply_to", replyTo) }
            if let rtt = r.roundTrip { w.seconds("rtt", rtt) }
        }
        if r.annotations.isEmpty {
            // Most messages: the member whole, without building the list.
            w.member(#""annotations":[]"#)
        } else {
            w.array("annotations", r.annotations.map { annotationObject($0).finished() })
        }
        return w
    }

    static func annotationObject(_ a: Annotation) -> JSONObjectWriter {
        var w = JSONObjectWriter(capacity: 64 + a.text.utf8.count)
        w.string("rule", a.rule)
        w.string("severity", a.severity.rawValue)
        w.string("text", a.text)
        return w
    }

    private static func annotation(_ r: AnnotationRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("type", "annotation")
        w.int("conn", r.conn)
        w.seconds("time", r.finding.time, repeating: true)
        w.string("rule", r.finding.annotation.rule)
        w.string("severity", r.finding.annotation.severity.rawValue)
        w.string("text", r.finding.annotation.text)
        w.array("refers_to", r.finding.refersTo.map { Array(String($0).utf8) })
        return w
    }

    private static func close(_ r: CloseRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("type", "close")
        w.int("conn", r.conn)
        w.seconds("time", r.time, repeating: true)
        w.string("via", r.via.rawValue)
        if let from = r.from { w.string("from", from.rawValue) } else { w.null("from") }
        if let code = r.code { w.int("code", Int(code)) } else { w.null("code") }
        w.string("reason", r.reason)
        return w
    }

    private static func summary(_ r: SummaryRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("type", "summary")
        w.int("connections", r.connections)
        w.int("messages", r.messages)
        w.int("decode_errors", r.decodeErrors)
        var annotations = JSONObjectWriter()
        annotations.int("error", r.errors)
        annotations.int("warning", r.warnings)
        annotations.int("info", r.infos)
        w.object("annotations", annotations)
        return w
    }
}
