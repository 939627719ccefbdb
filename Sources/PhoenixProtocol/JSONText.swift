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
    /// Bytes are stored before they are checked: the destination's room for escapes leaves
    /// space for them, and a plain run then costs loads, stores and one test per 64 bytes, with
    /// no call to copy it. Where a special byte lies ahead, 16-byte blocks follow, and all the
    /// special bytes one comparison finds in a block are escaped in turn (the envelope of a
    /// Phoenix message has a quote every three or four bytes: resuming with a new comparison
    /// after each escape took 16% longer to escape the frames, topics and refs of the first 500
    /// packets of the benchmark capture); once a block is plain again after an escape, the
    /// 64-byte steps take over (payload text is long runs).
    public static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let source = UnsafeRawPointer(base)
        let target = UnsafeMutableRawPointer(destination)
        let count = bytes.count
        var i = 0
        var out = 0
        // Wrapping arithmetic: the offsets stay below 6 * count, far from overflow.
        // Room: out <= 6 * i throughout, so a store of n bytes at out with i + n <= count ends
        // before 6 * count.
        longRuns: while true {
            while i &+ 64 <= count {
                let run = Run64(source, at: i)
                run.store(to: target, at: out)
                guard !run.hasJSONSpecial else { break }
                i &+= 64
                out &+= 64
            }
            var escaped = false
            while i &+ 16 <= count {
                let v = source.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
                target.storeBytes(of: v, toByteOffset: out, as: SIMD16<UInt8>.self)
                let found = ByteScan.jsonSpecials(v)
                guard ByteScan.anySet(found) else {
                    i &+= 16
                    out &+= 16
                    if escaped { continue longRuns }
                    continue
                }
                // Every special byte of the block in turn, from the one comparison: after each
                // escape the 16 bytes that follow it are stored again where they now go, which
                // puts the plain bytes up to the next special one (or the block's end) in place.
                var lanes = ByteScan.lanes(found)
                var resume = i  // the block's first byte not yet counted in `out`
                repeat {
                    let at = i &+ lanes.trailingZeroBitCount
                    lanes &= lanes &- 1
                    out &+= at &- resume
                    out &+= writeEscape(base[at], to: destination + out)
                    resume = at &+ 1
                    if resume &+ 16 <= count {
                        target.storeBytes(
                            of: source.loadUnaligned(fromByteOffset: resume, as: SIMD16<UInt8>.self),
                            toByteOffset: out, as: SIMD16<UInt8>.self)
                    } else {
                        // The input's last block: the rest of it a byte at a time.
                        for k in 0..<(i &+ 16 &- resume) { destination[out &+ k] = base[resume &+ k] }
                    }
                } while lanes != 0
                out &+= i &+ 16 &- resume
                i &+= 16
                escaped = true
            }
            // Fewer than 16 bytes left (all of most refs, topics and events): words of 8, then bytes.
            while i &+ 8 <= count {
                let w = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                target.storeBytes(of: w, toByteOffset: out, as: UInt64.self)
                let found = ByteScan.jsonSpecialMask(UInt64(littleEndian: w))
                guard found != 0 else {
                    i &+= 8
                    out &+= 8
                    continue
                }
                let plain = found.trailingZeroBitCount >> 3
                i &+= plain
                out &+= plain
                out &+= writeEscape(base[i], to: destination + out)
                i &+= 1
            }
            while i < count {
                let b = base[i]
                if ByteScan.isJSONSpecial(b) {
                    out &+= writeEscape(b, to: destination + out)
                } else {
                    destination[out] = b
                    out &+= 1
                }
                i &+= 1
            }
            return out
        }
    }

    /// Writes the escape for one special byte; returns its length (2 or 6).
    ///
    /// A quote or a backslash is nearly every escape a transcript writes (a frame's own JSON
    /// quotes, a dozen per message): tested first, it costs a predictable branch, where one
    /// switch over all the specials took an indirect jump per escape.
    @inline(__always)
    private static func writeEscape(_ b: UInt8, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        destination[0] = UInt8(ascii: "\\")
        guard b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") else {
            destination[1] = b
            return 2
        }
        return writeControlEscape(b, to: destination)
    }

    /// `writeEscape` for a control character (below 0x20), after its backslash.
    @inline(never)
    private static func writeControlEscape(_ b: UInt8, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let short: UInt8
        switch b {
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
