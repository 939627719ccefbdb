/// A growable byte buffer written through a pointer: where transcript lines are built.
///
/// A transcript of a large capture is hundreds of megabytes of JSON, written a few bytes at a
/// time (keys, punctuation, numbers) between long runs (frames). Appending to an `[UInt8]` costs
/// a uniqueness and capacity check per call, which came to more than the bytes themselves;
/// here a write is a bounds check and a store. A class: writers append to one shared buffer.
public final class ByteOutput {
    // The state sits behind a pointer rather than in stored properties: a class's `var`s are
    // checked for exclusive access at run time on every write, which cost more than the writes.
    @usableFromInline struct State {
        @usableFromInline var base: UnsafeMutablePointer<UInt8>
        @usableFromInline var used: Int
        @usableFromInline var capacity: Int
        /// The last number `appendFixedPoint` wrote and its text (up to 24 bytes; `repeated.length`
        /// 0 for none): the records of one packet share their time, and it is written once.
        var repeated = RepeatedNumber()
    }

    struct RepeatedNumber {
        var value: UInt64 = 0
        var decimals = 0
        var length = 0
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
    }

    @usableFromInline let state: UnsafeMutablePointer<State>

    public init(capacity: Int = 4096) {
        let capacity = max(capacity, 16)
        state = .allocate(capacity: 1)
        state.initialize(to: State(base: .allocate(capacity: capacity), used: 0, capacity: capacity))
    }

    deinit {
        state.pointee.base.deallocate()
        state.deallocate()
    }

    /// Bytes written so far.
    public var count: Int { state.pointee.used }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always)
    public func reserve(_ n: Int) {
        if state.pointee.capacity &- state.pointee.used < n { grow(n) }
    }

    @usableFromInline
    func grow(_ n: Int) {
        let old = state.pointee
        let newCapacity = max(old.capacity * 2, old.used + n)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: old.base, count: old.used)
        old.base.deallocate()
        state.pointee.base = newBase
        state.pointee.capacity = newCapacity
    }

    @inlinable @inline(__always)
    public func append(_ byte: UInt8) {
        reserve(1)
        state.pointee.base[state.pointee.used] = byte
        state.pointee.used &+= 1
    }

    @inlinable
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(state.pointee.base + state.pointee.used).copyMemory(from: source, byteCount: bytes.count)
        state.pointee.used &+= bytes.count
    }

    @inlinable
    public func append(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        Self.copyShort(text.utf8Start, count: length, to: state.pointee.base + state.pointee.used)
        state.pointee.used &+= length
    }

    /// Copies `count` bytes: up to 16 (keys, constant members) with two overlapping loads and
    /// stores, longer ones with a copy call. Every line has a dozen such pieces, and the call
    /// with its size dispatch cost more than the bytes.
    @inlinable @inline(__always)
    static func copyShort(_ source: UnsafePointer<UInt8>, count: Int, to target: UnsafeMutablePointer<UInt8>) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        switch count {
        case 8...16:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        case 4..<8:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        case 0..<4:
            for k in 0..<count { target[k] = source[k] }
        default:
            to.copyMemory(from: from, byteCount: count)
        }
    }

    @inlinable
    public func append(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) == nil {
            for b in bytes { append(b) }
        }
    }

    /// Appends `bytes` as a JSON string literal, quotes included (see `JSONText.escape`).
    public func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(JSONText.escapedCapacity(bytes.count) + 2)
        let base = state.pointee.base
        var used = state.pointee.used
        base[used] = UInt8(ascii: "\"")
        used += 1
        used += JSONText.escape(bytes, into: base + used)
        base[used] = UInt8(ascii: "\"")
        state.pointee.used = used + 1
    }

    public func appendQuoted(_ s: String) {
        var s = s
        s.withUTF8 { appendQuoted($0) }
    }

    /// "00", "01", ... "99": numbers are written two digits per division, which halves the
    /// divisions of the 16-digit times on every transcript line.
    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Writes the last `count` digits of `rest` (zero-padded) backwards, ending before
    /// `window[position]`; returns the new position and what is left of `rest`.
    @inline(__always)
    private static func writeDigits(
        _ rest: UInt64, count: Int, into window: UnsafeMutablePointer<UInt8>, before position: Int
    ) -> (position: Int, rest: UInt64) {
        let pairs = digitPairs.utf8Start
        var rest = rest
        var position = position
        var left = count
        while left >= 2 {
            let pair = Int(rest % 100) &* 2
            rest /= 100
            position -= 2
            window[position] = pairs[pair]
            window[position + 1] = pairs[pair + 1]
            left -= 2
        }
        if left == 1 {
            position -= 1
            window[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return (position, rest)
    }

    /// How many decimal digits `n` has (1 for 0).
    @inline(__always)
    private static func digitCount(_ n: UInt64) -> Int {
        var count = 1
        var rest = n
        while rest >= 100 { rest /= 100; count += 2 }
        return rest >= 10 ? count + 1 : count
    }

    /// Appends the decimal digits of `n`, zero-padded to `minimumWidth` (at most 20).
    public func appendDigits(_ n: UInt64, minimumWidth: Int = 1) {
        let width = max(Self.digitCount(n), min(minimumWidth, 20))
        reserve(width)
        let window = state.pointee.base + state.pointee.used
        _ = Self.writeDigits(n, count: width, into: window, before: width)
        state.pointee.used += width
    }

    /// Appends `n / 10^decimals`, a point, and the remainder zero-padded to `decimals` digits:
    /// `1795953267.183617` for n = 1795953267183617 and 6 decimals (`decimals` at most 20).
    /// With `repeating`, the text is copied when `n` is the last number written so (record
    /// times); other numbers (round trips) neither use nor replace it.
    public func appendFixedPoint(_ n: UInt64, decimals: Int, repeating: Bool = false) {
        reserve(42)
        let window = state.pointee.base + state.pointee.used
        let repeated = state.pointee.repeated
        if repeating, repeated.length > 0, repeated.value == n, repeated.decimals == decimals {
            // Stored whole (the window has room); only `length` bytes count.
            UnsafeMutableRawPointer(window).storeBytes(of: repeated.text, as: (UInt64, UInt64, UInt64).self)
            state.pointee.used += repeated.length
            return
        }
        // Written backwards into the end of a 42-byte window, then moved into place.
        var (position, rest) = Self.writeDigits(n, count: decimals, into: window, before: 42)
        position -= 1
        window[position] = UInt8(ascii: ".")
        repeat {
            position -= 1
            window[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        let length = 42 - position
        window.update(from: window + position, count: length)
        state.pointee.used += length
        if repeating, length <= 24 {
            var memo = RepeatedNumber(value: n, decimals: decimals, length: length)
            withUnsafeMutableBytes(of: &memo.text) { $0.copyMemory(from: UnsafeRawBufferPointer(start: window, count: length)) }
            state.pointee.repeated = memo
        }
    }

    /// Appends `"name":`, with a comma first unless `first`: an object key, in one bounds check.
    @inlinable @inline(__always)
    public func appendKey(_ name: StaticString, first: Bool) {
        let length = name.utf8CodeUnitCount
        reserve(length + 4)
        var p = state.pointee.base + state.pointee.used
        if !first {
            p.pointee = UInt8(ascii: ",")
            p += 1
        }
        p.pointee = UInt8(ascii: "\"")
        p += 1
        Self.copyShort(name.utf8Start, count: length, to: p)
        p += length
        p[0] = UInt8(ascii: "\"")
        p[1] = UInt8(ascii: ":")
        state.pointee.used = p + 2 - state.pointee.base
    }

    /// The bytes from `start` on, copied out.
    public func bytes(from start: Int = 0) -> [UInt8] {
        Array(UnsafeBufferPointer(start: state.pointee.base + start, count: state.pointee.used - start))
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: state.pointee.base, count: state.pointee.used))
    }

    /// Forgets the contents, keeping the memory.
    public func removeAll() { state.pointee.used = 0 }
}
