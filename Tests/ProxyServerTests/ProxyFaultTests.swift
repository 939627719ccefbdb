import Foundation
import Testing
import ProxyServer
import TapPipeline
import PhoenixProtocol

/// Things going wrong around the proxy. In each case the proxy must report what happened and
/// go on serving other connections.
@Suite(.serialized)
struct ProxyFaultTests {
    /// One more normal WebSocket session through `proxy`, to show it still serves.
    private func stillServes(_ proxy: RunningProxy) async throws {
        let client = try PeerProcess(["ws-client", "ws://127.0.0.1:\(proxy.port)/socket/websocket"])
        let result = try await client.result()
        #expect(result["checks"] as? [Bool] == [true, true, true], "\(result)")
    }

    @Test(arguments: ["fin", "rst"])
    func clientVanishesWithoutACloseFrame(how: String) async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-vanish", "ws://127.0.0.1:\(proxy.port)/socket/websocket", how])
        #expect(try await client.result()["echoed"] as? Bool == true)
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        #expect(proxy.log.ends()[1] == (how == "fin" ? .fin(from: .client) : .reset(from: .client)))
        try await stillServes(proxy)
        await proxy.proxy.shutdown()
    }

    @Test func upstreamDiesMidSession() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-hold", "ws://127.0.0.1:\(proxy.port)/socket/websocket", "20"])
        // Wait for the (deflated) echo to come back through the proxy, then kill the server outright.
        #expect(await proxy.log.wait { $0.serverSentAfterHandshake(conn: 1) })
        server.kill()
        let result = try await client.result()
        #expect(result["closed"] as? Bool == true, "\(result)")
        #expect((result["after"] as? Double ?? 99) < 5)
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        #expect(proxy.log.ends()[1] == .fin(from: .server))
        // With the server gone, the next client gets the gateway's answer.
        let next = try PeerProcess(["ws-status", "ws://127.0.0.1:\(proxy.port)/socket/websocket"])
        #expect(try await next.result()["status"] as? Int == 502)
        await proxy.proxy.shutdown()
    }

    @Test func slowClientSlowsTheUpstreamInsteadOfFillingMemory() async throws {
        // The upstream writes as fast as it can for 3 s; the client reads nothing for 4 s.
        // Relayed without backpressure, loopback would carry gigabytes into the proxy's memory.
        let server = try PeerProcess(["flood-server", "3"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "http://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["slow-client", "127.0.0.1", "\(proxy.port)", "4"])
        let flood = try await server.result()
        _ = try await client.result()
        let sent = flood["sent"] as? Int ?? -1
        #expect(sent > 0 && sent < 32 << 20, "the upstream got \(sent) bytes into the proxy")
        await proxy.proxy.shutdown()
    }

    @Test func sixteenMegabyteFrameBothWays() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-client", "ws://127.0.0.1:\(proxy.port)/socket/websocket", "--big"])
        let result = try await client.result()
        #expect(result["checks"] as? [Bool] == [true, true, true, true], "\(result)")
        #expect(await proxy.log.wait { $0.ends()[1] != nil })
        await proxy.proxy.shutdown()
        // Random bytes do not deflate: each direction carried at least the 16 MiB payload.
        #expect(proxy.log.bytes(conn: 1, from: .client).count > 16 << 20)
        #expect(proxy.log.bytes(conn: 1, from: .server).count > 16 << 20)
    }

    @Test func aThousandConcurrentConnections() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-many", "ws://127.0.0.1:\(proxy.port)/socket/websocket", "1000", "1"])
        let result = try await client.result()
        #expect(result["ok"] as? Int == 1000, "\(result)")
        #expect(result["open_at_once"] as? Int == 1000)
        #expect(await proxy.log.wait { $0.ends().count == 1000 })
        let opened = proxy.log.all.filter { if case .opened = $0 { return true } else { return false } }.count
        #expect(opened == 1000)
        #expect(proxy.proxy.liveConnections == 0)
        await proxy.proxy.shutdown()
    }

    @Test func garbageInsteadOfHTTPIsRelayedAndAnswered() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let serverPort = try await server.port()
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(serverPort)")
        // NUL, 0x01, "garbage", CR LF CR LF: not a request line.
        let garbage = "0001676172626167650d0a0d0a"
        let direct = try PeerProcess(["raw-send", "127.0.0.1", "\(serverPort)", garbage])
        let directReply = try await direct.result()
        let client = try PeerProcess(["raw-send", "127.0.0.1", "\(proxy.port)", garbage])
        let reply = try await client.result()
        // The client sees what the server does with garbage (this one hangs up), not a timeout.
        #expect(reply["timeout"] == nil && directReply["timeout"] == nil)
        #expect(reply["reply"] as? String == directReply["reply"] as? String, "\(reply) vs \(directReply)")
        #expect(proxy.log.bytes(conn: 1, from: .client) == [0x00, 0x01] + Array("garbage\r\n\r\n".utf8))
        try await stillServes(proxy)
        await proxy.proxy.shutdown()
    }

    @Test func shutdownEndsOpenConnectionsAsEndOfInput() async throws {
        let server = try PeerProcess(["ws-echo-server", "600"])
        defer { server.kill() }
        let proxy = try await RunningProxy.start(upstream: "ws://127.0.0.1:\(try await server.port())")
        let client = try PeerProcess(["ws-hold", "ws://127.0.0.1:\(proxy.port)/socket/websocket", "20"])
        #expect(await proxy.log.wait { $0.serverSentAfterHandshake(conn: 1) })
        await proxy.proxy.shutdown()
        #expect(proxy.log.ends()[1] == .endOfInput)
        #expect(try await client.result()["closed"] as? Bool == true)
    }

    @Test func aSlowObserverLosesObservationNotTraffic() async throws {
        let server = try PeerProcess(["raw-server", "600"])
        defer { server.kill() }
        let port = try await server.port()
        var config = ProxyConfiguration(upstream: UpstreamURL(host: "127.0.0.1", port: port, useTLS: false), listenPort: 0)
        config.observerBudgetBytes = 64 << 10
        let log = EventLog()
        // An observer that takes 20 ms per event cannot keep up with 800 kB relayed at loopback speed.
        let proxy = PhoenixProxy(config: config, observer: { event in
            usleep(20_000)
            log.append(event)
        })
        let proxyPort = try #require(try await proxy.start().port)
        let client = try PeerProcess(["raw-client", "127.0.0.1", "\(proxyPort)"])
        #expect(try await client.result()["same"] as? Bool == true)
        #expect(await log.wait { $0.ends()[1] != nil })
        await proxy.shutdown()

        let gaps = log.all.compactMap { event -> (Direction, Int)? in
            if case .gap(_, let from, _, let missing) = event { return (from, missing ?? 0) }
            return nil
        }
        #expect(!gaps.isEmpty)
        #expect(!log.notes(rule: "proxy-observer-skipped").isEmpty)
        // Every relayed byte is either observed or counted in a gap.
        let clientMissing = gaps.filter { $0.0 == .client }.map(\.1).reduce(0, +)
        let serverMissing = gaps.filter { $0.0 == .server }.map(\.1).reduce(0, +)
        #expect(log.bytes(conn: 1, from: .client).count + clientMissing == 500_000)
        #expect(log.bytes(conn: 1, from: .server).count + serverMissing == 300_064)
    }
}
