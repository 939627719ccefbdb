@testable import PhoenixChecker
import PhoenixProtocol
import TestSupport
import Testing

/// The pending-push table against a `Dictionary` doing the same inserts, lookups and removals:
/// refs drawn from a small set, so that probe runs form, wrap around the end of the table and
/// are broken up by removals in their middle.
@Suite struct PendingPushTableTests {
    private static func push(_ ref: Ref, seq: Int) -> PendingPush {
        PendingPush(seq: seq, time: Double(seq), topic: "room:\(seq % 3)", event: "new_msg", ref: ref,
                    joinRef: .string("1"), kind: .push, deadline: Double(seq) + 10)
    }

    @Test func agreesWithADictionaryThroughRandomInsertsAndRemovals() {
        var rng = SplitMix64(seed: 0x7461_626C_65)
        var table = PendingPushTable()
        var model: [Ref: PendingPush] = [:]
        for step in 0..<200_000 {
            let n = Int.random(in: 0..<600, using: &rng)
            let ref: Ref = n % 7 == 0 ? .number(String(n)) : .string(String(n))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                table.insert(Self.push(ref, seq: step), hash: PendingPushTable.hash(ref))
                model[ref] = Self.push(ref, seq: step)
            case 5..<8:
                #expect(table.remove(ref)?.seq == model.removeValue(forKey: ref)?.seq)
            default:
                #expect(table[ref]?.seq == model[ref]?.seq)
                #expect(table.index(of: ref).map { table[$0].seq } == model[ref]?.seq)
            }
            if step % 50_000 == 0 { table.removeAll(); model.removeAll() }
            #expect(table.count == model.count)
        }
        // Every push that the model holds is still found, and nothing else is.
        #expect(table.pushes.map(\.seq).sorted() == model.values.map(\.seq).sorted())
        for (ref, push) in model { #expect(table[ref]?.seq == push.seq) }
        // A number and a string with the same digits are different refs.
        table.insert(Self.push(.string("7"), seq: -1), hash: PendingPushTable.hash(.string("7")))
        table.insert(Self.push(.number("7"), seq: -2), hash: PendingPushTable.hash(.number("7")))
        #expect(table[.string("7")]?.seq == -1)
        #expect(table[.number("7")]?.seq == -2)
    }
}
