internal import CZlib
public import PhoenixProtocol

/// What a server agreed to in its `Sec-WebSocket-Extensions: permessage-deflate; ...` answer
/// (RFC 7692 7.1). Only the server's answer matters to an observer: it is what both sides use.
public struct DeflateParameters: Sendable, Hashable {
    /// `server_no_context_takeover`: the server resets its compressor after every message.
    public var serverNoContextTakeover: Bool
    /// `client_no_context_takeover`: the client resets its compressor after every message.
    public var clientNoContextTakeover: Bool
    /// `server_max_window_bits=N` (8-15), nil when absent (15).
    public var serverMaxWindowBits: Int?
    /// `client_max_window_bits=N` (8-15), nil when absent (15).
    public var clientMaxWindowBits: Int?

    /// Creates parameters; the defaults are permessage-deflate with no parameters.
    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil, clientMaxWindowBits: Int? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Whether `direction`'s compressor starts afresh with every message.
    public func noContextTakeover(for direction: Direction) -> Bool {
        direction == .server ? serverNoContextTakeover : clientNoContextTakeover
    }

    /// Reads the server's answer. Returns nil parameters when permessage-deflate was not
    /// agreed, and a sentence per thing RFC 7692 forbids in an answer (the parameters are
    /// still the best reading, so that traffic can be followed).
    public static func negotiated(by headers: HTTPHeaders) -> (parameters: DeflateParameters?, problems: [String]) {
        var problems: [String] = []
        var found: DeflateParameters?
        for offer in headers["Sec-WebSocket-Extensions"].flatMap({ $0.split(separator: ",") }) {
            let parts = offer.split(separator: ";").map { HTTPHeaders.trim($0) }
            guard parts.first?.lowercased() == "permessage-deflate" else { continue }
            if found != nil {
                problems.append("permessage-deflate is accepted more than once")
                continue
            }
            var p = DeflateParameters()
            var seen: Set<String> = []
            for param in parts.dropFirst() where !param.isEmpty {
                let kv = param.split(separator: "=", maxSplits: 1).map { HTTPHeaders.trim($0) }
                let name = kv[0].lowercased()
                var value: String? = kv.count > 1 ? kv[1] : nil
                if let v = value, v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { value = String(v.dropFirst().dropLast()) }
                if !seen.insert(name).inserted { problems.append("parameter \(name) appears twice") }
                switch name {
                case "server_no_context_takeover", "client_no_context_takeover":
                    if value != nil { problems.append("\(name) takes no value") }
                    if name == "server_no_context_takeover" { p.serverNoContextTakeover = true } else { p.clientNoContextTakeover = true }
                case "server_max_window_bits", "client_max_window_bits":
                    guard let value else {
                        problems.append("\(name) needs a value in the server's answer")
                        continue
                    }
                    guard let bits = Int(value), (8...15).contains(bits), value.first != "0" else {
                        problems.append("\(name)=\(value) is not a number from 8 to 15")
                        continue
                    }
                    if name == "server_max_window_bits" { p.serverMaxWindowBits = bits } else { p.clientMaxWindowBits = bits }
                default:
                    problems.append("unknown parameter \(name)")
                }
            }
            found = p
        }
        return (found, problems)
    }
}

/// One raw-inflate stream for one direction of a connection (RFC 7692 7.2.2): each message's
/// payload, then the `00 00 FF FF` its compressor stripped, through the same stream unless the
/// direction has no context takeover. Output past the limit is inflated (so the window stays
/// right for later messages) but not kept.
///
/// A reference type because zlib keeps a pointer to its stream; a `WireConnection` owns each
/// one exclusively and never shares it between threads.
final class PermessageInflater: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let scratch: UnsafeMutablePointer<UInt8>
    private static let scratchSize = 32 * 1024
    private let noContextTakeover: Bool
    /// The stream hit a final block (BFINAL): the rest of the message is ignored.
    private var ended = false
    /// Set after an error: nothing more is inflated until `reset()` (the assembler resets at
    /// once; `finishMessage` does for an error in the stripped tail).
    private var failed = false

    /// The tail an endpoint strips from every compressed message (RFC 7692 7.2.1).
    static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init(noContextTakeover: Bool) {
        self.noContextTakeover = noContextTakeover
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        scratch = .allocate(capacity: Self.scratchSize)
        // Window bits -15: raw deflate with the largest window, which inflates data compressed
        // with any smaller window too.
        let rc = inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib inflateInit2 failed: \(rc)")  // only on out-of-memory or a broken zlib
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Inflates one frame's payload of the current message into `output`, keeping at most
    /// `limit` bytes there and counting all of them in `total`. Returns a sentence on error.
    func inflate(_ input: Bytes, into output: inout Bytes, limit: Int, total: inout Int) -> String? {
        guard !failed, !ended, !input.isEmpty else { return nil }
        return input.withUnsafeBufferPointer { inp -> String? in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            stream.pointee.avail_in = UInt32(inp.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                stream.pointee.next_out = scratch
                stream.pointee.avail_out = UInt32(Self.scratchSize)
                let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = Self.scratchSize - Int(stream.pointee.avail_out)
                if produced > 0 {
                    let room = limit - output.count
                    if room > 0 { output.append(contentsOf: UnsafeBufferPointer(start: scratch, count: min(room, produced))) }
                    total += produced
                }
                switch rc {
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return nil }
                case Z_STREAM_END:
                    ended = true
                    return nil
                case Z_BUF_ERROR:
                    return nil  // no progress possible: all input used
                default:
                    failed = true
                    let why = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    return why
                }
            }
        }
    }

    /// Ends the current message: inflates the stripped tail, then resets the stream if this
    /// direction has no context takeover (or after an error). Returns a sentence on error.
    func finishMessage(into output: inout Bytes, limit: Int, total: inout Int) -> String? {
        let error = inflate(Self.tail[...], into: &output, limit: limit, total: &total)
        if noContextTakeover || failed || ended { reset() }
        return error
    }

    /// Starts the stream afresh (after lost bytes, or per message without context takeover).
    func reset() {
        inflateReset(stream)
        ended = false
        failed = false
    }
}
