/// Scans for the few bytes that matter in long runs of text: what ends a JSON string's plain
/// run (`"`, `\`, control characters) and what ends an ASCII run. Payloads are mostly such
/// runs, and these loops are where decoding and transcript writing spend their time.
///
/// The JSON scan compares 16-byte blocks with vector instructions (one block, then four per
/// step for long runs, with a cheaper test that also stops at non-ASCII bytes, which the
/// blocks after it then sort out), the ASCII scan tests 32 bytes per step as words; both finish with
/// 8-byte words and single bytes. The word masks may also flag bytes above a real match
/// (borrows propagate upwards), never below it, so the lowest flagged byte of a word is always
/// a real one.
public enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    private static func word(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// High bit set in each byte of `w` that equals `b` (plus, possibly, bytes above one).
    @inline(__always)
    static func byteMask(_ w: UInt64, equalTo b: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(b))
        return (x &- ones) & ~x & highs
    }

    /// High bit set in each byte that is `"`, `\` or below 0x20 (plus, possibly, bytes above one).
    @inline(__always)
    static func jsonSpecialMask(_ w: UInt64) -> UInt64 {
        byteMask(w, equalTo: UInt8(ascii: "\"")) | byteMask(w, equalTo: UInt8(ascii: "\\")) | (w &- ones &* 0x20) & ~w & highs
    }

    @inline(__always)
    static func isJSONSpecial(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
    }

    /// The lanes of `v` that a JSON string cannot hold as is: `"`, `\`, below 0x20.
    ///
    /// The quote and the control characters are found by one comparison: flipping bit 1 maps
    /// `"` (0x22) to 0x20 and keeps every byte below 0x20 below it, while no other byte lands
    /// at or below 0x20 (0x20 itself becomes 0x22).
    @inline(__always)
    static func jsonSpecials(_ v: SIMD16<UInt8>) -> SIMDMask<SIMD16<Int8>> {
        let flipped = v ^ SIMD16(repeating: 0x02)
        return (flipped .<= SIMD16(repeating: 0x20)) .| (v .== SIMD16(repeating: UInt8(ascii: "\\")))
    }

    /// Whether any lane is set. Read as two words rather than with `any(_:)`, which the
    /// optimizer does not always lower to a vector test (it became a call to a generic `min`).
    @inline(__always)
    static func anySet(_ found: SIMDMask<SIMD16<Int8>>) -> Bool {
        let words = unsafeBitCast(found, to: SIMD2<UInt64>.self)
        return words[0] | words[1] != 0
    }

    /// The set lanes of a mask as the low 16 bits of a word, lane `k` as bit `k` (what SSE2's
    /// `pmovmskb` gives): one multiplication per half gathers its bytes' high bits into its top
    /// byte (bit `8k + 7` times `2^(49 - 7k)` lands on bit `56 + k`, and no two products meet).
    @inline(__always)
    static func lanes(_ found: SIMDMask<SIMD16<Int8>>) -> UInt32 {
        let words = unsafeBitCast(found, to: SIMD2<UInt64>.self)
        let gather: UInt64 = 0x0002_0408_1020_4081
        let low = ((UInt64(littleEndian: words[0]) & highs) &* gather) >> 56
        let high = ((UInt64(littleEndian: words[1]) & highs) &* gather) >> 56
        return UInt32(truncatingIfNeeded: low | high << 8)
    }

    /// The bytes of a block ORed into one word (what `seen` gathers in `firstJSONSpecial`).
    @inline(__always)
    static func or(of block: SIMD16<UInt8>) -> UInt64 {
        let words = unsafeBitCast(block, to: SIMD2<UInt64>.self)
        return words[0] | words[1]
    }

    /// The first set lane of a mask that has one.
    @inline(__always)
    static func firstLane(_ found: SIMDMask<SIMD16<Int8>>) -> Int {
        // The lanes are 0 or all ones: read as two words, the first set byte is the first lane
        // (lane 0 is the lowest byte on every platform Swift runs on).
        let words = unsafeBitCast(found, to: SIMD2<UInt64>.self)
        let low = UInt64(littleEndian: words[0])
        if low != 0 { return low.trailingZeroBitCount >> 3 }
        return 8 + UInt64(littleEndian: words[1]).trailingZeroBitCount >> 3
    }

    /// The offset of the first byte in `start..<end` that a JSON string cannot hold as is
    /// (`"`, `\`, a control character), or `end`. ORs the bytes it passes over into `seen`
    /// (whole words, so possibly some past the result too): a caller learns for one OR per step
    /// whether any had the high bit set, that is whether the text was all ASCII.
    @inline(__always)
    public static func firstJSONSpecial(_ base: UnsafeRawPointer, from start: Int, to end: Int, seen: inout UInt64) -> Int {
        var i = start
        // Vector compares (SSE2 and NEON have them all), 16 bytes per block.
        var passed = SIMD16<UInt8>(repeating: 0)
        defer { seen |= or(of: passed) }
        // One block first: most strings (refs, topics, keys) end inside it.
        if i + 16 <= end {
            if let special = special(inBlockAt: i, of: base, passed: &passed) { return special }
            i += 16
        }
        while i + 16 <= end {
            // Long runs (payload text): four blocks per step, with one test that fires on the
            // special bytes and on non-ASCII ones alike. Text that passes it is plain ASCII,
            // with nothing to note in `seen`.
            while i + 64 <= end, !Run64(base, at: i).mayHaveJSONSpecialOrNonASCII { i += 64 }
            // Where it fired (or near the end), up to four blocks tested exactly, then back.
            for _ in 0..<4 where i + 16 <= end {
                if let special = special(inBlockAt: i, of: base, passed: &passed) { return special }
                i += 16
            }
        }
        while i + 8 <= end {
            let w = word(base, i)
            seen |= w
            let m = jsonSpecialMask(w)
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let b = base.load(fromByteOffset: i, as: UInt8.self)
            seen |= UInt64(b)
            if isJSONSpecial(b) { break }
            i += 1
        }
        return i
    }

    /// The offset of the first special byte among the 16 at `i`, nil when there is none; ORs
    /// the block into `passed`.
    @inline(__always)
    static func special(inBlockAt i: Int, of base: UnsafeRawPointer, passed: inout SIMD16<UInt8>) -> Int? {
        let v = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
        passed |= v
        let found = jsonSpecials(v)
        return anySet(found) ? i + firstLane(found) : nil
    }

    /// Whether `bytes` are exactly the text of `literal`: names and keywords compared without
    /// building a `String` (whose comparisons take Unicode-aware paths).
    @inlinable
    public static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let text = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != text[i] { return false }
        return true
    }

    /// Whether a word of ORed bytes (as `firstJSONSpecial` gathers) had a byte above 0x7F.
    @inline(__always)
    public static func hasNonASCII(_ seen: UInt64) -> Bool { seen & highs != 0 }

    /// The offset of the first byte in `start..<end` with its high bit set (not ASCII), or `end`.
    public static func firstNonASCII(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var i = start
        while i + 32 <= end {
            let m = (word(base, i) | word(base, i + 8) | word(base, i + 16) | word(base, i + 24)) & highs
            if m != 0 { break }
            i += 32
        }
        while i + 8 <= end {
            let m = word(base, i) & highs
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end, base.load(fromByteOffset: i, as: UInt8.self) < 0x80 { i += 1 }
        return i
    }
}

/// Sixty-four bytes as four vector blocks: the step of the loops that pass over long plain runs
/// (`ByteScan.firstJSONSpecial` scanning, `JSONText.escape` copying).
struct Run64 {
    let v0, v1, v2, v3: SIMD16<UInt8>

    @inline(__always)
    init(_ base: UnsafeRawPointer, at i: Int) {
        v0 = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
        v1 = base.loadUnaligned(fromByteOffset: i &+ 16, as: SIMD16<UInt8>.self)
        v2 = base.loadUnaligned(fromByteOffset: i &+ 32, as: SIMD16<UInt8>.self)
        v3 = base.loadUnaligned(fromByteOffset: i &+ 48, as: SIMD16<UInt8>.self)
    }

    /// Whether any of the 64 bytes is `"`, `\` or a control character (one test for all four).
    @inline(__always)
    var hasJSONSpecial: Bool {
        ByteScan.anySet((ByteScan.jsonSpecials(v0) .| ByteScan.jsonSpecials(v1))
            .| (ByteScan.jsonSpecials(v2) .| ByteScan.jsonSpecials(v3)))
    }

    /// Whether any of the 64 bytes is `"`, `\\`, a control character or above 0x7F: one signed
    /// comparison finds all but the backslash. Flipping bit 1 maps `"` to 0x20 and keeps the
    /// control characters below it and the bytes above 0x7F negative (as signed bytes), while
    /// every other byte lands above 0x20.
    @inline(__always)
    var mayHaveJSONSpecialOrNonASCII: Bool {
        @inline(__always)
        func flagged(_ v: SIMD16<UInt8>) -> SIMDMask<SIMD16<Int8>> {
            let flipped = unsafeBitCast(v ^ SIMD16(repeating: 0x02), to: SIMD16<Int8>.self)
            return (flipped .< SIMD16(repeating: 0x21)) .| (v .== SIMD16(repeating: UInt8(ascii: "\\")))
        }
        return ByteScan.anySet((flagged(v0) .| flagged(v1)) .| (flagged(v2) .| flagged(v3)))
    }

    @inline(__always)
    func store(to target: UnsafeMutableRawPointer, at offset: Int) {
        target.storeBytes(of: v0, toByteOffset: offset, as: SIMD16<UInt8>.self)
        target.storeBytes(of: v1, toByteOffset: offset &+ 16, as: SIMD16<UInt8>.self)
        target.storeBytes(of: v2, toByteOffset: offset &+ 32, as: SIMD16<UInt8>.self)
        target.storeBytes(of: v3, toByteOffset: offset &+ 48, as: SIMD16<UInt8>.self)
    }
}
