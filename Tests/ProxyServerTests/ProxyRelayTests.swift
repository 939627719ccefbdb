import Foundation
import Testing
import ProxyServer
import TapPipeline
import PhoenixProtocol

/// The proxy between real loopback peers: what each side receives must be what the other sent,
/// and the observer must see exactly those bytes.
@Suite(.serialized)
struct ProxyRelayTests {
    @Test func rawBytesPassUnchangedBothWaysWithHalfClose() async throws {
        let server = try PeerProcess(["raw-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "http://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["raw-client", "127.0.0.1", "\(proxy.port)"])
        let result = try await client.result()
        #expect(result["same"] as? Bool == true, "\(result)")
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()

        // The observer saw the same streams: 500 kB from the client, 300 kB + digest back.
        #expect(proxy.log.bytes(conn: 1, from: .client).count == 500_000)
        #expect(proxy.log.bytes(conn: 1, from: .server).count == 300_064)
        // The client sent FIN first (after its last byte); the server answered and closed.
        #expect(proxy.log.ends()[1] == .fin(from: .client))
    }

    @Test func webSocketUpgradeSubprotocolsCookiesAndDeflatePassEndToEnd() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let port = try await server.port()
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(port)")
        let client = try PeerProcess(["ws-client", "ws://127.0.0.1:\(proxy.port)/socket/websocket?vsn=2.0.0&token=x"])
        let result = try await client.result()
        #expect(result["error"] == nil, "\(result)")
        #expect(result["subprotocol"] as? String == "phoenix")
        #expect(result["extensions"] as? [String] == ["PerMessageDeflate"])
        #expect(result["checks"] as? [Bool] == [true, true, true])
        #expect(result["close_code"] as? Int == 1000)
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()

        let request = String(decoding: proxy.log.bytes(conn: 1, from: .client), as: UTF8.self)
        #expect(request.hasPrefix("GET /socket/websocket?vsn=2.0.0&token=x HTTP/1.1\r\n"))
        #expect(request.contains("Sec-WebSocket-Protocol: phoenix, base64url.bearer.phx.dG9rZW4tMTIz\r\n"))
        #expect(request.contains("Cookie: _app_key=abc123\r\n"))
        let response = String(decoding: proxy.log.bytes(conn: 1, from: .server).prefix(400), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(response.contains("Sec-WebSocket-Extensions: permessage-deflate"))
        guard case .opened(1, _, let c, let s) = proxy.log.all.first else {
            Issue.record("first event is not .opened")
            return
        }
        #expect(c.host == "127.0.0.1" && s == Endpoint(host: "127.0.0.1", port: port))
    }

    @Test func refusalIsRelayedAsTheServerSentIt() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-status", "ws://127.0.0.1:\(proxy.port)/refuse"])
        let result = try await client.result()
        await proxy.proxy.shutdown()
        #expect(result["status"] as? Int == 403)
        #expect(result["body"] as? String == "forbidden")
    }

    @Test func upstreamDownGivesThe502AndTheReason() async throws {
        // A port nothing listens on: bind, note it, close.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let deadPort = Int(UInt16(bigEndian: addr.sin_port))
        close(listener)

        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(deadPort)")
        let client = try PeerProcess(["ws-status", "ws://127.0.0.1:\(proxy.port)/socket/websocket"])
        let result = try await client.result()
        #expect(result["status"] as? Int == 502, "\(result)")
        #expect((result["body"] as? String)?.contains("upstream 127.0.0.1:\(deadPort) refused the connection") == true)
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()
        #expect(proxy.log.ends()[1] == .failed("upstream 127.0.0.1:\(deadPort) refused the connection"))
        #expect(proxy.log.notes(rule: "proxy-upstream-failed") == ["upstream 127.0.0.1:\(deadPort) refused the connection"])
        // The client's request was still observed.
        #expect(String(decoding: proxy.log.bytes(conn: 1, from: .client), as: UTF8.self).hasPrefix("GET /socket/websocket"))
    }
}
