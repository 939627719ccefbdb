/// UTF-8 validation that reports where the first bad byte is. RFC 6455 requires text frames
/// to be UTF-8, and Phoenix's JSON decoder rejects anything else.
public enum UTF8Validation {
    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence, or nil.
    public static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return nil }
        var i = 0
        let n = bytes.count
        while i < n {
            // ASCII dominates Phoenix traffic: skip it a word at a time, stopping at a lead byte.
            i = ByteScan.firstNonASCII(base, from: i, to: n)
            guard i < n else { break }
            let b0 = bytes[i]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F  // no UTF-16 surrogates
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F  // nothing past U+10FFFF
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 {
                return i
            }
            i += length
        }
        return nil
    }

    /// Convenience for arrays and slices.
    public static func firstInvalidOffset(_ bytes: Bytes) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset($0) }
    }

    /// True when every byte belongs to a well-formed UTF-8 sequence.
    public static func isValid(_ bytes: Bytes) -> Bool {
        bytes.withUnsafeBufferPointer { firstInvalidOffset($0) == nil }
    }
}
