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
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

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

    /// Appends the decimal digits of `n`, zero-padded to `minimumWidth` (at most 20).
    public func appendDigits(_ n: UInt64, minimumWidth: Int = 1) {
        reserve(20)
        // Written backwards into the end of a 20-byte window, then moved into place.
        let base = state.pointee.base + state.pointee.used
        var position = 20
        var rest = n
        repeat {
            position -= 1
            base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        while 20 - position < minimumWidth, position > 0 {
            position -= 1
            base[position] = UInt8(ascii: "0")
        }
        let width = 20 - position
        if position > 0 { base.update(from: base + position, count: width) }
        state.pointee.used += width
    }

    /// Appends `n / 10^decimals`, a point, and the remainder zero-padded to `decimals` digits:
    /// `1795953267.183617` for n = 1795953267183617 and 6 decimals (`decimals` at most 20).
    public func appendFixedPoint(_ n: UInt64, decimals: Int) {
        reserve(42)
        // Written backwards into the end of a 42-byte window, then moved into place.
        let window = state.pointee.base + state.pointee.used
        var position = 42
        var rest = n
        for _ in 0..<decimals {
            position -= 1
            window[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
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
    }

    /// Appends `"name":`, with a comma first unless `first`: an object key, in one bounds check.
    @inlinable
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
        // A copy call, not a byte loop: keys are 3 to 12 bytes, which the copy does in two moves.
        UnsafeMutableRawPointer(p).copyMemory(from: name.utf8Start, byteCount: length)
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
