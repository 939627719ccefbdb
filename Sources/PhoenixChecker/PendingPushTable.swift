import PhoenixProtocol

/// The client pushes awaiting replies, by ref: the table every push and every reply touches.
///
/// Open addressing with linear probing, and a hash of the ref's bytes computed once per
/// operation. A `Dictionary` keyed by `Ref` cost more than all the other checks of an ordinary
/// push: SipHash over the ref's string on each of the three lookups of a round trip, and the
/// push copied out whole to read its topic. Here a reply finds its push, reads it in place and
/// takes it out with one hash.
///
/// The probe table holds 16-byte slots (a hash and where the push is stored); the pushes stay
/// where they were put, and freed places are reused. A pipelining client keeps hundreds of
/// pushes awaiting replies (256 a connection in the benchmark), and probing and backward-shift
/// deletion then move and touch small slots instead of whole pushes.
struct PendingPushTable: Sendable {
    private struct Slot: Sendable {
        /// 0 marks an empty slot.
        var hash: UInt64
        /// The push's place in `storage`.
        var place: Int
    }

    private var slots: [Slot]
    private var storage = StableSlots<PendingPush>()
    private(set) var count = 0

    init() {
        slots = Array(repeating: Slot(hash: 0, place: 0), count: Self.minimumCapacity)
    }

    /// A power of two; the table is kept at most half full, so that probe runs stay short.
    private static let minimumCapacity = 16

    /// Where the push with `ref` is, if one awaits its reply.
    func index(of ref: Ref) -> Int? {
        index(of: ref, hash: Self.hash(ref))
    }

    /// `index(of:)` with the ref's `hash(_:)` already known: a client push is looked up and
    /// then inserted, and hashing its ref once serves both.
    func index(of ref: Ref, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].hash != 0 {
            if slots[i].hash == hash && storage[slots[i].place]?.ref == ref { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The push at `index` (from `index(of:)`).
    subscript(index: Int) -> PendingPush { storage[slots[index].place]! }

    /// The push with `ref`, if one awaits its reply.
    subscript(ref: Ref) -> PendingPush? {
        index(of: ref).map { self[$0] }
    }

    /// Adds `push`, replacing a push with the same ref. `hash` is `hash(push.ref)`, which the
    /// caller has from looking the ref up first.
    mutating func insert(_ push: consuming PendingPush, hash: UInt64) {
        assert(hash == Self.hash(push.ref), "the hash of another ref")
        if (count + 1) * 2 > slots.count { resize(to: slots.count * 2) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].hash != 0 {
            if slots[i].hash == hash && storage[slots[i].place]?.ref == push.ref {
                storage[slots[i].place] = push
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Slot(hash: hash, place: storage.insert(push))
        count += 1
    }

    /// Takes out the push at `index` (from `index(of:)`).
    @discardableResult
    mutating func remove(at index: Int) -> PendingPush {
        let removed = storage.remove(at: slots[index].place)!
        slots[index].hash = 0
        count -= 1
        // Backward-shift deletion: later members of the probe run move up into the hole, so
        // that a lookup can stop at the first empty slot and no tombstones pile up.
        let mask = slots.count - 1
        var hole = index
        var i = (index + 1) & mask
        while slots[i].hash != 0 {
            let home = Int(truncatingIfNeeded: slots[i].hash) & mask
            // The member may move to the hole unless its home lies cyclically in (hole, i].
            if (i - home) & mask >= (i - hole) & mask {
                slots[hole] = slots[i]
                slots[i].hash = 0
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

    /// Takes out the push a deadline entry was made for, if it still awaits its reply: the
    /// entries of answered pushes stay in the heap, and a later push may reuse their ref.
    mutating func remove(_ entry: DeadlineHeap.Entry) -> PendingPush? {
        guard let index = index(of: entry.ref), self[index].seq == entry.seq else { return nil }
        return remove(at: index)
    }

    /// Every push, in no particular order.
    var pushes: [PendingPush] { storage.all }

    mutating func removeAll() {
        self = PendingPushTable()
    }

    private mutating func resize(to capacity: Int) {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, place: 0), count: capacity)
        let mask = capacity - 1
        for slot in old where slot.hash != 0 {
            var i = Int(truncatingIfNeeded: slot.hash) & mask
            while slots[i].hash != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }

    /// Chosen per process, so that refs crafted to collide in one run do not in the next.
    private static let seed = UInt64.random(in: 1...UInt64.max)

    /// FNV-1a over the ref's kind and text, then a multiply-shift finish so that the low bits
    /// (the slot) depend on every byte. Never 0, which marks an empty slot.
    static func hash(_ ref: Ref) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var text = ref.text
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        h = (h ^ (UInt64(ref.kind.rawValue) &+ 1)) &* prime
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
