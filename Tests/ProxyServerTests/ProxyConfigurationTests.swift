import Testing
import ProxyServer

struct ProxyConfigurationTests {
    @Test func upstreamURLs() throws {
        #expect(try UpstreamURL(parsing: "http://127.0.0.1:4000") == UpstreamURL(host: "127.0.0.1", port: 4000, useTLS: false))
        #expect(try UpstreamURL(parsing: "ws://example.test/socket") == UpstreamURL(host: "example.test", port: 80, useTLS: false))
        #expect(try UpstreamURL(parsing: "wss://example.test") == UpstreamURL(host: "example.test", port: 443, useTLS: true))
        #expect(try UpstreamURL(parsing: "https://[::1]:8443/x?y") == UpstreamURL(host: "::1", port: 8443, useTLS: true))
        #expect(try UpstreamURL(parsing: "HTTP://user@host:81") == UpstreamURL(host: "host", port: 81, useTLS: false))
    }

    @Test func badUpstreamURLsSayWhy() {
        #expect(throws: ProxyConfigurationError.badUpstream("127.0.0.1:4000", "it has no scheme")) {
            try UpstreamURL(parsing: "127.0.0.1:4000")
        }
        #expect(throws: ProxyConfigurationError.badUpstream("ftp://h", "the scheme must be ws, wss, http or https")) {
            try UpstreamURL(parsing: "ftp://h")
        }
        #expect(throws: ProxyConfigurationError.badUpstream("http://h:0", "the port must be a number from 1 to 65535")) {
            try UpstreamURL(parsing: "http://h:0")
        }
        #expect(throws: ProxyConfigurationError.badUpstream("http://:80", "it has no host")) {
            try UpstreamURL(parsing: "http://:80")
        }
        #expect(
            ProxyConfigurationError.badUpstream("x", "it has no scheme").description
                == "The upstream URL \"x\" cannot be used: it has no scheme.")
    }
}
