/// Values that stay where they were put, in an array whose freed places are reused. A table
/// that finds its values by place (open connections by flow, pending pushes by ref) updates
/// them in place and never moves one, however many come and go.
public struct StableSlots<Element> {
    @usableFromInline var values: [Element?] = []
    @usableFromInline var free: [Int] = []

    @inlinable
    public init() {}

    /// Stores `value`, in a freed place if there is one; returns its place.
    @inlinable
    public mutating func insert(_ value: consuming Element) -> Int {
        if let place = free.popLast() {
            values[place] = value
            return place
        }
        values.append(value)
        return values.count - 1
    }

    /// Takes out the value at `place` and frees the place.
    @inlinable @discardableResult
    public mutating func remove(at place: Int) -> Element? {
        let value = values[place].take()
        free.append(place)
        return value
    }

    /// The value at `place` (nil once removed); changed in place through this subscript.
    @inlinable
    public subscript(place: Int) -> Element? {
        get { values[place] }
        _modify { yield &values[place] }
    }

    @inlinable
    public mutating func removeAll() {
        values.removeAll()
        free.removeAll()
    }

    /// Every value, in no particular order.
    @inlinable
    public var all: [Element] { values.compactMap { $0 } }
}

extension StableSlots: Sendable where Element: Sendable {}
