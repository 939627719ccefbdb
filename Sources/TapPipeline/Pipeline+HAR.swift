public import Transcript
import PhoenixChecker
import PhoenixProtocol

extension Pipeline {
    /// Replays the Phoenix connections of a HAR through the pipeline, every connection's events
    /// merged in time order as a capture would deliver them. LongPoll bodies are taken apart by
    /// the same code as captured LongPoll traffic.
    public mutating func replay(_ archive: HARArchive, into out: inout [TranscriptRecord]) {
        struct Step {
            var time: Double
            var order: Int
            var connection: Int
            var event: HAREvent?
        }
        var steps: [Step] = []
        for (c, connection) in archive.connections.enumerated() {
            steps.append(Step(time: connection.startTime, order: steps.count, connection: c, event: nil))
            for event in connection.events {
                steps.append(Step(time: max(event.time, connection.startTime), order: steps.count, connection: c, event: event))
            }
        }
        steps.sort { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }
        for step in steps {
            let connection = archive.connections[step.connection]
            let key = "har:" + connection.key
            guard let event = step.event else {
                openConnection(key: key, connection.connection, time: step.time, into: &out)
                continue
            }
            switch event {
            case .message(let from, let opcode, let bytes, let time):
                message(key: key, from: from, opcode: opcode, bytes: bytes[...], time: time, into: &out)
            case .longPollSend(let contentType, let body, let time):
                for frame in LongPollBody.clientFrames(body: body, contentType: contentType) {
                    message(key: key, from: .client, opcode: frame.opcode, bytes: frame.bytes[...], time: time, into: &out)
                }
            case .longPollAnswer(let method, let httpStatus, let body, let time):
                guard let answer = LongPollBody.serverResponse(body: body) else { continue }
                longPollStatus(key: key, status: answer.status ?? httpStatus, method: method, time: time, into: &out)
                for frame in answer.frames {
                    message(key: key, from: .server, opcode: frame.opcode, bytes: frame.bytes[...], time: time, into: &out)
                }
            case .close(let via, let from, let code, let reason, let time):
                if via == .closeFrame, let from {
                    closeFrame(key: key, from: from, code: code, reason: reason, time: time, into: &out)
                } else {
                    endConnection(key: key, time: time, via: via, from: from, reason: reason, into: &out)
                }
            }
        }
    }

    /// Runs the records of a transcript through the pipeline again: each connection is opened
    /// as its `open` line says and gets its messages' raw bytes, so the checker (perhaps with
    /// other options) judges the wire, not the transcript's old annotations.
    public mutating func recheck(_ record: TranscriptRecord, into out: inout [TranscriptRecord]) {
        switch record {
        case .open(let o):
            openConnection(key: "jsonl:\(o.conn)", MessageConnection(
                client: o.client, server: o.server, transport: o.transport, path: o.path, params: o.params,
                subprotocols: o.subprotocols, status: o.status, extensions: o.extensions), time: o.time, into: &out)
        case .message(let m):
            let key = "jsonl:\(m.conn)"
            if messageSessions[key] == nil {
                // A filtered transcript may lack the open line: the frame's shape tells V1 from V2.
                let vsn = Serializer.guessed(fromFrame: m.raw).vsn
                openConnection(key: key, MessageConnection(
                    client: "", server: "", transport: m.transport, path: "", params: [QueryItem(name: "vsn", value: vsn)],
                    status: nil), time: m.time, into: &out)
            }
            message(key: key, from: m.from, opcode: m.opcode, bytes: m.raw, time: m.time, seq: m.seq, into: &out)
        case .close(let c):
            if c.via == .closeFrame, let from = c.from {
                closeFrame(key: "jsonl:\(c.conn)", from: from, code: c.code, reason: c.reason, time: c.time, into: &out)
            } else {
                endConnection(key: "jsonl:\(c.conn)", time: c.time, via: c.via, from: c.from, reason: c.reason, into: &out)
            }
        case .annotation(let a):
            // What lies below the messages cannot be derived from a transcript again: keep it.
            let topic = RuleCatalog.rule(id: a.finding.annotation.rule)?.topic
            if topic == nil || topic == .websocket || topic == .source {
                carryOver(a.finding, key: "jsonl:\(a.conn)", conn: a.conn, into: &out)
            }
        case .session, .summary:
            break
        }
    }
}
