import Foundation
import ProxyServer
import TapPipeline
import PhoenixProtocol
import NIOCore

/// A Python peer from `Peers/proxy_peers.py`, run as a child process. Servers are started with
/// a long lifetime (600 s) and killed when the test ends: under a full parallel test run a test
/// can take far longer than it does alone. Blocking pipe reads run on Dispatch threads so they
/// never tie up the few threads of Swift's cooperative pool.
final class PeerProcess: @unchecked Sendable {
    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers/proxy_peers.py").path
    }()

    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script] + arguments
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    deinit {
        // SIGKILL, not SIGTERM: a child spawned from a test thread can inherit a signal mask
        // that blocks SIGTERM.
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits for the `PORT n` line a server prints once it listens.
    func port() async throws -> Int {
        let line = await Self.offMain { () -> String? in
            var data = Data()
            while true {
                let byte = self.stdout.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { return nil }
                if byte == Data([0x0a]) { return String(decoding: data, as: UTF8.self) }
                data.append(byte)
            }
        }
        guard let line, line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            throw PeerError.noPort(line ?? "(nothing)")
        }
        return port
    }

    /// Waits (bounded by the peer's own time-outs) for the process to end and returns the JSON
    /// object it printed last.
    func result() async throws -> [String: Any] {
        let out = await Self.offMain { () -> Data in
            let data = self.stdout.fileHandleForReading.readDataToEndOfFile()
            self.process.waitUntilExit()
            return data
        }
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last,
            let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        else {
            let err = String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
            throw PeerError.noResult(err)
        }
        return object
    }

    /// Ends the peer at once (SIGKILL: it gets no chance to close anything politely).
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func offMain<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

enum PeerError: Error {
    case noPort(String)
    case noResult(String)
}

/// Collects what the proxy tells its observer.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ConnectionEvent] = []

    func append(_ event: ConnectionEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [ConnectionEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }

    /// The bytes one direction of one connection carried, in order.
    func bytes(conn: Int, from: Direction) -> [UInt8] {
        all.flatMap { event -> [UInt8] in
            if case .bytes(let c, let f, _, let b) = event, c == conn, f == from { return b }
            return []
        }
    }

    /// Whether the server sent anything after its HTTP response head (a WebSocket frame).
    func serverSentAfterHandshake(conn: Int) -> Bool {
        let bytes = self.bytes(conn: conn, from: .server)
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
        return end.upperBound < bytes.count
    }

    func ends() -> [Int: ConnectionEnd] {
        var out: [Int: ConnectionEnd] = [:]
        for case .closed(let conn, _, let how) in all { out[conn] = how }
        return out
    }

    func notes(rule: String) -> [String] {
        all.compactMap { event in
            if case .sourceNote(_, _, let r, let text) = event, r == rule { return text }
            return nil
        }
    }

    /// Polls until `condition` holds or about 10 s pass.
    func wait(until condition: @Sendable (EventLog) -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition(self) { return true }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return condition(self)
    }
}

/// A proxy on an ephemeral loopback port in front of `upstream`, with an event log.
struct RunningProxy {
    let proxy: PhoenixProxy
    let port: Int
    let log: EventLog

    static func start(upstream: String, configure: (inout ProxyConfiguration) -> Void = { _ in }) async throws
        -> RunningProxy
    {
        var config = ProxyConfiguration(upstream: try UpstreamURL(parsing: upstream), listenPort: 0, threads: 2)
        configure(&config)
        let log = EventLog()
        let proxy = PhoenixProxy(config: config, observer: { log.append($0) })
        let address = try await proxy.start()
        return RunningProxy(proxy: proxy, port: address.port!, log: log)
    }
}
