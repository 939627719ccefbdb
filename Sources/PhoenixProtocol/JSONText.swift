/// Writing JSON text. Kept apart from parsing: the transcript writer calls these on every
/// message, so they append to a byte buffer rather than build intermediate strings.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal. Escapes what JSON requires (`"`, `\`, bytes below
    /// 0x20); everything else, including non-ASCII, is written as UTF-8.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends already-valid UTF-8 bytes as a JSON string literal.
    public static func appendQuoted(bytes: Bytes, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        bytes.withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends escaped bytes (no quotes) to an array; `escape` does the work.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: escapedCapacity(bytes.count)) { scratch in
            guard let destination = scratch.baseAddress else { return }
            let written = escape(bytes, into: destination)
            out.append(contentsOf: UnsafeBufferPointer(start: destination, count: written))
        }
    }

    /// The most bytes `escape` can write for `count` input bytes (a control character takes six).
    public static func escapedCapacity(_ count: Int) -> Int { count * 6 }

    /// Writes `bytes` escaped for the inside of a JSON string literal to `destination`, which must
    /// have room for `escapedCapacity(bytes.count)` bytes; returns how many it wrote. Escapes
    /// what JSON requires (`"`, `\`, control characters); everything else, including non-ASCII,
    /// is copied as is.
    ///
    /// Sixteen bytes are stored before they are checked: the destination's room for escapes
    /// leaves space for them, and a plain block (the common case) then costs one load, one
    /// store and one test, with no call to copy a run. A block with a special byte keeps what
    /// came before it, and the scan resumes just after the escape.
    public static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let source = UnsafeRawPointer(base)
        let target = UnsafeMutableRawPointer(destination)
        let count = bytes.count
        var i = 0
        var out = 0
        while true {
            // Room: out <= 6 * i and i + 16 <= count, so out + 16 < 6 * count.
            while i + 16 <= count {
                let v = source.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
                target.storeBytes(of: v, toByteOffset: out, as: SIMD16<UInt8>.self)
                let found = ByteScan.jsonSpecials(v)
                guard any(found) else {
                    i += 16
                    out += 16
                    continue
                }
                let plain = ByteScan.firstLane(found)
                i += plain
                out += plain
                break
            }
            // Fewer than 16 bytes left, or a special byte at i.
            while i < count, !ByteScan.isJSONSpecial(base[i]) {
                destination[out] = base[i]
                i += 1
                out += 1
            }
            guard i < count else { return out }
            out += writeEscape(base[i], to: destination + out)
            i += 1
        }
    }

    /// Writes the escape for one special byte; returns its length (2 or 6).
    @inline(__always)
    private static func writeEscape(_ b: UInt8, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        destination[0] = UInt8(ascii: "\\")
        let short: UInt8
        switch b {
        case UInt8(ascii: "\""): short = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): short = UInt8(ascii: "\\")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            destination[1] = UInt8(ascii: "u")
            destination[2] = UInt8(ascii: "0")
            destination[3] = UInt8(ascii: "0")
            destination[4] = hex[Int(b >> 4)]
            destination[5] = hex[Int(b & 0xF)]
            return 6
        }
        destination[1] = short
        return 2
    }
}
