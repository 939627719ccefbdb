import Foundation
import PcapSource
import PhoenixProtocol
import TapPipeline
import Testing

/// A piece of one direction's stream: bytes (merged while contiguous) or a reported gap.
enum Piece: Equatable, CustomStringConvertible {
    case bytes([UInt8])
    case gap(Int?)

    static func text(_ s: String) -> Piece { .bytes(Array(s.utf8)) }

    var description: String {
        switch self {
        case .bytes(let b): return "bytes(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .gap(let n): return "gap(\(n.map(String.init) ?? "nil"))"
        }
    }
}

/// Everything the events said about one connection, in a shape tests can compare.
struct ConnectionLog: Equatable {
    var client: String
    var server: String
    var fromClient: [Piece] = []
    var fromServer: [Piece] = []
    var notes: [String] = []
    var closed: ConnectionEnd?
}

/// Reduces events to one log per connection, checking the contract on the way: `opened`
/// comes first, nothing follows `closed`, and conn numbers count up from 1.
struct EventLog {
    var connections: [Int: ConnectionLog] = [:]
    var problems: [String] = []

    mutating func add(_ event: ConnectionEvent) {
        switch event {
        case .opened(let conn, _, let client, let server):
            if connections[conn] != nil { problems.append("conn \(conn) opened twice") }
            if conn != connections.count + 1 { problems.append("conn \(conn) opened out of order") }
            connections[conn] = ConnectionLog(client: client.description, server: server.description)
        case .bytes(let conn, let from, _, let bytes):
            guard check(conn) else { return }
            if bytes.isEmpty { problems.append("conn \(conn): empty bytes event") }
            append(.bytes(bytes), conn: conn, from: from)
        case .gap(let conn, let from, _, let missing):
            guard check(conn) else { return }
            if let missing, missing <= 0 { problems.append("conn \(conn): gap of \(missing)") }
            append(.gap(missing), conn: conn, from: from)
        case .sourceNote(let conn, _, let rule, _):
            guard check(conn) else { return }
            connections[conn]!.notes.append(rule)
        case .closed(let conn, _, let how):
            guard check(conn) else { return }
            connections[conn]!.closed = how
        }
    }

    private mutating func check(_ conn: Int) -> Bool {
        guard let log = connections[conn] else {
            problems.append("conn \(conn): event before opened")
            return false
        }
        if log.closed != nil { problems.append("conn \(conn): event after closed") }
        return true
    }

    private mutating func append(_ piece: Piece, conn: Int, from: Direction) {
        func merge(_ pieces: inout [Piece]) {
            if case .bytes(let new) = piece, case .bytes(let old)? = pieces.last {
                pieces[pieces.count - 1] = .bytes(old + new)
            } else {
                pieces.append(piece)
            }
        }
        if from == .client { merge(&connections[conn]!.fromClient) } else { merge(&connections[conn]!.fromServer) }
    }

    /// The logs in conn order.
    var ordered: [ConnectionLog] { connections.keys.sorted().map { connections[$0]! } }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Captures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static func capture(_ name: String) -> String { captures.appendingPathComponent(name).path }

    /// Reads captures through `CaptureReader` and returns the per-connection logs and the report.
    static func read(_ paths: [String], options: CaptureOptions = CaptureOptions()) -> (logs: [ConnectionLog], report: CaptureReport) {
        var log = EventLog()
        let report = CaptureReader.read(paths: paths, options: options) { log.add($0) }
        #expect(log.problems == [])
        return (log.ordered, report)
    }

    static func read(_ name: String, options: CaptureOptions = CaptureOptions()) -> (logs: [ConnectionLog], report: CaptureReport) {
        read([path(name)], options: options)
    }
}
