import ArgumentParser
import Dispatch
import PhoenixProtocol
import ProxyServer
import TapPipeline
import Transcript

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `phxtap proxy`: a live man-in-the-middle between a Phoenix client and its server.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay a Phoenix client's socket to its server and show every message live.",
        discussion: """
            Point the client at the proxy instead of the server. Every byte is forwarded as it \
            was sent (the HTTP upgrade with its headers, cookies and subprotocols, WebSocket \
            frames, LongPoll requests); a copy goes through the same decoder and checker as \
            `phxtap read`, off the relay's path. Ctrl-C (or SIGTERM) stops the proxy and prints \
            the summary.

            Examples:
              phxtap proxy --upstream http://127.0.0.1:4000
              phxtap proxy --upstream https://app.test --listen 127.0.0.1:4443 \\
                  --tls-cert cert.pem --tls-key key.pem --record session.jsonl --pcap session.pcap

            A capture written with --pcap reads back with `phxtap read` (and in Wireshark).
            Exits 1 when findings reach --fail-on, 2 when the proxy cannot start.
            """
    )

    @Option(name: .long, help: "The server: ws://, wss://, http:// or https:// with host and port.")
    var upstream: String

    @Option(name: .long, help: "Address to listen on, HOST:PORT.")
    var listen: String = "127.0.0.1:4001"

    @Option(name: .long, help: "Also write the transcript as JSON Lines to this file.")
    var record: String?

    @Option(name: .long, help: "Also write the relayed traffic as a pcap capture to this file.")
    var pcap: String?

    @OptionGroup var outputOptions: OutputOptionGroup
    @OptionGroup var checkerOptions: CheckerOptionGroup

    @Flag(name: .long, help: "Do not verify the upstream's TLS certificate.")
    var insecure = false

    @Option(name: .long, help: "Trust the CA certificates in this PEM file for the upstream (instead of the system's).")
    var ca: String?

    @Option(name: .long, help: "Serve TLS to clients with this PEM certificate chain (needs --tls-key).")
    var tlsCert: String?

    @Option(name: .long, help: "The PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .long, help: "Exit 1 when findings reach this severity: error, warning, info or never.")
    var failOn: FailOn = .never

    func validate() throws {
        do { _ = try UpstreamURL(parsing: upstream) } catch { throw ValidationError(error.description) }
        guard Self.parseListen(listen) != nil else {
            throw ValidationError("--listen expects HOST:PORT with a port from 0 to 65535, not \"\(listen)\"")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// `HOST:PORT`, `[v6]:PORT` or a bare `PORT` (on 127.0.0.1).
    static func parseListen(_ text: String) -> (host: String, port: Int)? {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else { return nil }
        return (host, port)
    }

    func run() async throws {
        let url = try UpstreamURL(parsing: upstream)
        let (host, port) = Self.parseListen(listen)!
        let config = ProxyConfiguration(
            upstream: url, listenHost: host, listenPort: port, insecure: insecure, caFile: ca,
            tlsCertificateFile: tlsCert, tlsKeyFile: tlsKey)

        let live = try LiveTranscript(
            // Flushed after each batch the observer drains (every few milliseconds while traffic
            // flows), not after each line: a crash or Ctrl-C still loses nothing already seen.
            output: RecordWriter(
                output: try LineOutput.open(outputOptions.output), format: outputOptions.format,
                payloadRedactor: outputOptions.format?.isExport == true ? outputOptions.redactor : nil),
            record: try record.map { RecordWriter(output: try LineOutput(path: $0), format: .jsonl) },
            pcapPath: pcap,
            options: PipelineOptions(checker: checkerOptions.checkerOptions, redactor: outputOptions.redactor))
        live.prepare(source: "proxy \(listen) -> \(url)")

        let proxy = PhoenixProxy(config: config, observer: { live.handle($0) }, drained: { live.flush() })
        let bound: String
        do {
            let address = try await proxy.start()
            bound = "\(address.ipAddress ?? host):\(address.port ?? port)"
        } catch let error as ProxyConfigurationError {
            await proxy.shutdown()
            throw CLIError(error.description)
        } catch {
            await proxy.shutdown()
            throw CLIError("The proxy cannot start: \(error).")
        }
        live.begin()
        Terminal.printError("phxtap: proxying \(bound) -> \(url) (Ctrl-C to stop)")

        let signal = await Self.waitForSignal()
        Terminal.printError("phxtap: \(signal == SIGINT ? "interrupted" : "terminated"), closing connections")
        await proxy.shutdown()
        let summary = live.finish()
        try failOn.enforce(summary)
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns which.
    static func waitForSignal() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let queue = DispatchQueue(label: "phxtap.signals")
            let once = SignalLatch(continuation)
            for number in [SIGINT, SIGTERM] {
                // The default action would kill the process before the summary is written.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { once.fire(number) }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes a continuation once, from whichever signal comes first, and keeps the signal
/// sources alive until then. Only touched on its serial queue.
private final class SignalLatch: @unchecked Sendable {
    private var continuation: CheckedContinuation<Int32, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Int32, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) { sources.append(source) }

    func fire(_ number: Int32) {
        guard let continuation else {
            // A second signal while shutting down: the user means it, stop at once.
            Terminal.printError("phxtap: stopping without waiting for the connections")
            terminate(128 + number)
        }
        continuation.resume(returning: number)
        self.continuation = nil
    }
}
