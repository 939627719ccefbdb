import Foundation
import Testing
import ProxyServer
import TapPipeline
import PhoenixProtocol

/// TLS on each leg: the proxy terminates the client's TLS with its own certificate and opens
/// its own verified TLS to the upstream.
@Suite(.serialized)
struct ProxyTLSTests {
    /// A self-signed certificate for localhost and 127.0.0.1, made by openssl for this test.
    struct Certificate {
        let directory: URL
        var cert: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", directory.appendingPathComponent("cert.pem").path,
            ]
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw PeerError.noResult("openssl failed") }
        }
    }

    @Test func tlsOnBothLegsWithVerification() async throws {
        let certificate = try Certificate()
        let server = try PeerProcess(["ws-echo-server", "600", "--tls", certificate.cert, certificate.key])
        defer { server.kill() }
        let port = try await server.port()
        let proxy = try await RunningProxy.start(upstream: "wss://localhost:\(port)") {
            $0.caFile = certificate.cert
            $0.tlsCertificateFile = certificate.cert
            $0.tlsKeyFile = certificate.key
        }
        let client = try PeerProcess([
            "ws-client", "wss://localhost:\(proxy.port)/socket/websocket?vsn=2.0.0", "--ca", certificate.cert,
        ])
        let result = try await client.result()
        #expect(result["checks"] as? [Bool] == [true, true, true], "\(result)")
        #expect(result["close_code"] as? Int == 1000)
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()
        // The observer sees plaintext: the upgrade request as the client wrote it.
        let request = String(decoding: proxy.log.bytes(conn: 1, from: .client), as: UTF8.self)
        #expect(request.hasPrefix("GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\n"))
    }

    @Test func untrustedUpstreamCertificateGivesThe502() async throws {
        let certificate = try Certificate()
        let server = try PeerProcess(["ws-echo-server", "600", "--tls", certificate.cert, certificate.key])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "wss://localhost:\(try await server.port())")
        let client = try PeerProcess(["ws-status", "ws://127.0.0.1:\(proxy.port)/socket/websocket"])
        let result = try await client.result()
        #expect(result["status"] as? Int == 502, "\(result)")
        #expect((result["body"] as? String)?.contains("TLS with upstream localhost") == true, "\(result)")
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()
        guard case .failed(let reason)? = proxy.log.ends()[1] else {
            Issue.record("connection did not end as failed: \(String(describing: proxy.log.ends()[1]))")
            return
        }
        #expect(reason.hasPrefix("TLS with upstream localhost"))
    }

    @Test func insecureSkipsVerification() async throws {
        let certificate = try Certificate()
        let server = try PeerProcess(["ws-echo-server", "600", "--tls", certificate.cert, certificate.key])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "wss://127.0.0.1:\(try await server.port())") {
            $0.insecure = true
        }
        let client = try PeerProcess(["ws-client", "ws://127.0.0.1:\(proxy.port)/socket/websocket"])
        let result = try await client.result()
        #expect(result["checks"] as? [Bool] == [true, true, true], "\(result)")
        await proxy.proxy.shutdown()
    }

    @Test func certificateWithoutKeyIsRefused() async throws {
        var config = ProxyConfiguration(upstream: UpstreamURL(host: "127.0.0.1", port: 1, useTLS: false), listenPort: 0)
        config.tlsCertificateFile = "/nonexistent.pem"
        let proxy = PhoenixProxy(config: config, observer: { _ in })
        await #expect(throws: ProxyConfigurationError.tlsNeedsCertificateAndKey) { try await proxy.start() }
        await proxy.shutdown()
    }
}
