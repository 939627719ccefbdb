import PhoenixProtocol

/// Builds one JSON object into a byte buffer, keys in the order they are added. The writers
/// use it so that every line of a format has a stable, documented key order.
///
/// Not copyable: it writes into a `ByteOutput`, which a long transcript shares between all its
/// lines, and two copies of one writer would interleave their keys in it.
struct JSONObjectWriter: ~Copyable {
    private let out: ByteOutput
    /// Where this object's `{` is in `out`.
    private let start: Int
    private var empty = true

    init(capacity: Int = 256) {
        self.init(appendingTo: ByteOutput(capacity: capacity))
    }

    /// Starts an object at the end of `out`: lines of a long transcript share one buffer.
    init(appendingTo out: ByteOutput) {
        self.out = out
        start = out.count
        out.append(UInt8(ascii: "{"))
    }

    @inline(__always)
    private mutating func key(_ name: StaticString) {
        out.appendKey(name, first: empty)
        empty = false
    }

    /// A whole member, key and value, written as given (`"from":"client"`): for members whose
    /// values are a few constants.
    @inline(__always)
    mutating func member(_ text: StaticString) {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        out.append(text)
    }

    /// A key chosen at run time (query parameter names).
    mutating func dynamicString(_ name: String, _ value: String) {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        out.appendQuoted(name)
        out.append(UInt8(ascii: ":"))
        out.appendQuoted(value)
    }

    /// A JSON string from UTF-8 bytes already known to be valid (text frames).
    @inline(__always)
    mutating func jsonString(_ name: StaticString, _ utf8: Bytes) {
        key(name)
        utf8.withUnsafeBufferPointer { out.appendQuoted($0) }
    }

    @inline(__always)
    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        out.appendQuoted(value)
    }

    @inline(__always)
    mutating func int(_ name: StaticString, _ value: Int) {
        key(name)
        if value < 0 { out.append(UInt8(ascii: "-")) }
        out.appendDigits(UInt64(value.magnitude))
    }

    /// Times and durations: seconds with microsecond precision, the resolution of pcap.
    /// `repeating` for record times, which come in runs (the records of one packet).
    @inline(__always)
    mutating func seconds(_ name: StaticString, _ value: Double, repeating: Bool = false) {
        key(name)
        guard value.isFinite, abs(value) < 9e12 else {
            out.append(Self.formatSeconds(value).utf8)
            return
        }
        let micros = Int64((value * 1_000_000).rounded())
        if micros < 0 { out.append(UInt8(ascii: "-")) }
        out.appendFixedPoint(micros.magnitude, decimals: 6, repeating: repeating)
    }

    mutating func null(_ name: StaticString) {
        key(name)
        out.append("null")
    }

    /// Writes already-valid JSON text verbatim (payloads, as they were on the wire).
    @inline(__always)
    mutating func rawJSON(_ name: StaticString, _ json: some Collection<UInt8>) {
        key(name)
        out.append(json)
    }

    mutating func base64(_ name: StaticString, _ data: some Collection<UInt8>) {
        key(name)
        var encoded: [UInt8] = [UInt8(ascii: "\"")]
        encoded.reserveCapacity(data.count * 4 / 3 + 6)
        Base64.append(data, to: &encoded)
        encoded.append(UInt8(ascii: "\""))
        out.append(encoded)
    }

    @inline(__always)
    mutating func ref(_ name: StaticString, _ ref: Ref?) {
        key(name)
        guard let ref else { return out.append("null") }
        if ref.kind == .string { out.appendQuoted(ref.text) } else { out.append(ref.text.utf8) }
    }

    mutating func object(_ name: StaticString, _ object: borrowing JSONObjectWriter) {
        key(name)
        out.append(object.finished())
    }

    mutating func array(_ name: StaticString, _ elements: [[UInt8]]) {
        key(name)
        out.append(UInt8(ascii: "["))
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(e)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The object text, closed (a copy: the writer stays open).
    func finished() -> [UInt8] { out.bytes(from: start) + [UInt8(ascii: "}")] }

    /// Closes the object and the line in the shared buffer.
    consuming func finishLine() {
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    /// Closes the object and the line, and returns the line's bytes.
    consuming func finishedLine() -> [UInt8] {
        let out = self.out
        let start = self.start
        finishLine()
        return out.bytes(from: start)
    }

    /// `1795947057.280528`: fixed six decimals, no exponent, whatever the magnitude.
    static func formatSeconds(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let micros = (value * 1_000_000).rounded()
        // Beyond what microseconds in a UInt64 hold, the plain decimal text of the number.
        guard abs(micros) < 1.8e19 else { return "\(value)" }
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
