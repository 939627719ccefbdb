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
    /// is copied as is, a plain run at a time.
    public static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        var i = 0
        var out = 0
        while true {
            let special = ByteScan.firstJSONSpecial(raw, from: i, to: count)
            if special > i {
                (destination + out).update(from: base + i, count: special - i)
                out += special - i
            }
            guard special < count else { return out }
            let b = base[special]
            i = special + 1
            destination[out] = UInt8(ascii: "\\")
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
                destination[out + 1] = UInt8(ascii: "u")
                destination[out + 2] = UInt8(ascii: "0")
                destination[out + 3] = UInt8(ascii: "0")
                destination[out + 4] = hex[Int(b >> 4)]
                destination[out + 5] = hex[Int(b & 0xF)]
                out += 6
                continue
            }
            destination[out + 1] = short
            out += 2
        }
    }
}
