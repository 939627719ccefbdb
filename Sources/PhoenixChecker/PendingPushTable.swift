import PhoenixProtocol

/// The client pushes awaiting replies, by ref: the table every push and every reply touches.
///
/// Open addressing with linear probing, and a hash of the ref's bytes computed once per
/// operation. A `Dictionary` keyed by `Ref` cost more than all the other checks of an ordinary
/// push: SipHash over the ref's string on each of the three lookups of a round trip, and the
/// push copied out whole to read its topic. Here a reply finds its push, reads it in place and
/// takes it out with one hash.
struct PendingPushTable: Sendable {
    // Probing reads only `hashes` (0 marks an empty slot); a push is touched when its hash
    // matches, and moved with `swapAt`, so no probe copies one (copying retains its strings).
    private var hashes: [UInt64]
    private var slots: [PendingPush?]
    private(set) var count = 0

    init() {
        hashes = Array(repeating: 0, count: Self.minimumCapacity)
        slots = Array(repeating: nil, count: Self.minimumCapacity)
    }

    /// A power of two; the table is kept at most half full, so that probe runs stay short.
    private static let minimumCapacity = 16

    /// Where the push with `ref` is, if one awaits its reply.
    func index(of ref: Ref) -> Int? {
        let hash = Self.hash(ref)
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while hashes[i] != 0 {
            if hashes[i] == hash && slots[i]?.ref == ref { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The push at `index` (from `index(of:)`).
    subscript(index: Int) -> PendingPush { slots[index]! }

    /// The push with `ref`, if one awaits its reply.
    subscript(ref: Ref) -> PendingPush? {
        index(of: ref).flatMap { slots[$0] }
    }

    /// Adds `push`, replacing a push with the same ref.
    mutating func insert(_ push: consuming PendingPush) {
        if (count + 1) * 2 > hashes.count { resize(to: hashes.count * 2) }
        let hash = Self.hash(push.ref)
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while hashes[i] != 0 {
            if hashes[i] == hash && slots[i]?.ref == push.ref {
                slots[i] = push
                return
            }
            i = (i + 1) & mask
        }
        hashes[i] = hash
        slots[i] = push
        count += 1
    }

    /// Takes out the push at `index` (from `index(of:)`).
    @discardableResult
    mutating func remove(at index: Int) -> PendingPush {
        let removed = slots[index].take()!
        hashes[index] = 0
        count -= 1
        // Backward-shift deletion: later members of the probe run move up into the hole, so
        // that a lookup can stop at the first empty slot and no tombstones pile up.
        let mask = hashes.count - 1
        var hole = index
        var i = (index + 1) & mask
        while hashes[i] != 0 {
            let home = Int(truncatingIfNeeded: hashes[i]) & mask
            // The member may move to the hole unless its home lies cyclically in (hole, i].
            if (i - home) & mask >= (i - hole) & mask {
                hashes.swapAt(hole, i)
                slots.swapAt(hole, i)
                hole = i
            }
            i = (i + 1) & mask
        }
        return removed
    }

    /// Takes out the push with `ref`, if there is one.
    @discardableResult
    mutating func remove(_ ref: Ref) -> PendingPush? {
        index(of: ref).map { remove(at: $0) }
    }

    /// Every push, in no particular order.
    var pushes: [PendingPush] { slots.compactMap { $0 } }

    mutating func removeAll() {
        self = PendingPushTable()
    }

    private mutating func resize(to capacity: Int) {
        let oldHashes = hashes
        let oldSlots = slots
        hashes = Array(repeating: 0, count: capacity)
        slots = Array(repeating: nil, count: capacity)
        let mask = capacity - 1
        for (hash, push) in zip(oldHashes, oldSlots) where hash != 0 {
            var i = Int(truncatingIfNeeded: hash) & mask
            while hashes[i] != 0 { i = (i + 1) & mask }
            hashes[i] = hash
            slots[i] = push
        }
    }

    /// Chosen per process, so that refs crafted to collide in one run do not in the next.
    private static let seed = UInt64.random(in: 1...UInt64.max)

    /// FNV-1a over the ref's kind and text, then a multiply-shift finish so that the low bits
    /// (the slot) depend on every byte. Never 0, which marks an empty slot.
    private static func hash(_ ref: Ref) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var text: String
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        switch ref {
        case .string(let s): h = (h ^ 1) &* prime; text = s
        case .number(let s): h = (h ^ 2) &* prime; text = s
        case .other(let s): h = (h ^ 3) &* prime; text = s
        }
        h = text.withUTF8 { bytes in
            var h = h
            for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
            return h
        }
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        return (h ^ (h >> 32)) | 1
    }
}
