import PhoenixProtocol

/// Builds one JSON object into a byte buffer, keys in the order they are added. The writers
/// use it so that every line of a format has a stable, documented key order.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    private var empty = true

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Starts an object at the end of `buffer`, which it takes over (no copy) until
    /// `finishedLine()` hands it back: lines of a long transcript share one buffer.
    /// `expectedSize` reserves room for the object, growing the buffer geometrically.
    init(appendingTo buffer: inout [UInt8], expectedSize: Int) {
        bytes = []
        swap(&bytes, &buffer)
        let needed = bytes.count + expectedSize
        if bytes.capacity < needed { bytes.reserveCapacity(max(needed, bytes.capacity * 2)) }
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A key chosen at run time (query parameter names).
    mutating func dynamicString(_ name: String, _ value: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONText.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        JSONText.appendQuoted(value, to: &bytes)
    }

    /// A JSON string from UTF-8 bytes already known to be valid (text frames).
    mutating func jsonString(_ name: StaticString, _ utf8: [UInt8]) {
        key(name)
        JSONText.appendQuoted(bytes: utf8[...], to: &bytes)
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONText.appendQuoted(value, to: &bytes)
    }

    mutating func int(_ name: StaticString, _ value: Int) {
        key(name)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        Self.appendDigits(UInt64(value.magnitude), minimumWidth: 1, to: &bytes)
    }

    /// Times and durations: seconds with microsecond precision, the resolution of pcap.
    mutating func seconds(_ name: StaticString, _ value: Double) {
        key(name)
        Self.appendSeconds(value, to: &bytes)
    }

    /// `formatSeconds` without building a string (every message line has a time).
    static func appendSeconds(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite, abs(value) < 9e12 else {
            out.append(contentsOf: formatSeconds(value).utf8)
            return
        }
        let micros = Int64((value * 1_000_000).rounded())
        if micros < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = micros.magnitude
        appendDigits(magnitude / 1_000_000, minimumWidth: 1, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(magnitude % 1_000_000, minimumWidth: 6, to: &out)
    }

    static func appendDigits(_ n: UInt64, minimumWidth: Int, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = n
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 || count < minimumWidth
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[k]) }
        }
    }

    mutating func null(_ name: StaticString) {
        key(name)
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes already-valid JSON text verbatim (payloads, as they were on the wire).
    mutating func rawJSON(_ name: StaticString, _ json: some Sequence<UInt8>) {
        key(name)
        bytes.append(contentsOf: json)
    }

    mutating func base64(_ name: StaticString, _ data: some Collection<UInt8>) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        Base64.append(data, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func ref(_ name: StaticString, _ ref: Ref?) {
        key(name)
        switch ref {
        case .string(let s): JSONText.appendQuoted(s, to: &bytes)
        case .number(let text), .other(let text): bytes.append(contentsOf: text.utf8)
        case nil: bytes.append(contentsOf: "null".utf8)
        }
    }

    mutating func object(_ name: StaticString, _ object: JSONObjectWriter) {
        key(name)
        bytes.append(contentsOf: object.finished())
    }

    mutating func array(_ name: StaticString, _ elements: [[UInt8]]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, e) in elements.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: e)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The object text, closed.
    func finished() -> [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// Closes the object (and the line) in place and hands over the bytes without a copy.
    consuming func finishedLine() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(0x0A)
        return bytes
    }

    /// `1795947057.280528`: fixed six decimals, no exponent, whatever the magnitude.
    static func formatSeconds(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let micros = (value * 1_000_000).rounded()
        let negative = micros < 0
        let magnitude = UInt64(abs(micros))
        let whole = magnitude / 1_000_000
        let fraction = String(magnitude % 1_000_000)
        return (negative ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}

/// Standard base64 with padding (RFC 4648 section 4), appended to a byte buffer.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func append(_ data: some Collection<UInt8>, to out: inout [UInt8]) {
        var it = data.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next()
            let b2 = it.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            out.append(b1.map { alphabet[Int(($0 & 0x0F) << 2 | (b2 ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(b2.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
    }

    public static func encode(_ data: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        append(data, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard or URL-safe base64, padded or not; nil on any other character.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(text.utf8, strict: false)
    }

    /// Decodes base64. `strict` accepts only the standard alphabet in whole, padded quads (what
    /// `btoa` writes), so that text which merely looks like base64 is not taken for it.
    public static func decode(_ text: some Collection<UInt8>, strict: Bool) -> [UInt8]? {
        if strict, text.count % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "-") where !strict: v = 62
            case UInt8(ascii: "_") where !strict: v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            if strict, padding > 0 { return nil }  // padding only at the end
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        if strict, padding > 2 { return nil }
        return out
    }
}
