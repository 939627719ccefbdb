/// A Phoenix server version, MAJOR.MINOR.PATCH, used to choose what a rule says and how bad it is.
///
/// The server's behaviour changed inside patch releases (stale join_refs are dropped from 1.8.3 on;
/// null join_refs were dropped from 1.8.3 to 1.8.11), so all three parts matter.
public struct PhoenixVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major part (1 in 1.8.3).
    public var major: Int
    /// The minor part (8 in 1.8.3).
    public var minor: Int
    /// The patch part (3 in 1.8.3).
    public var patch: Int

    /// A version from its parts.
    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `1.8.3` (or `1.8`, meaning 1.8.0); a leading `v` and a `-pre`/`+build` tail are
    /// accepted and ignored. Nil for anything else.
    public init?(_ text: String) {
        var core = Substring(text)
        if core.hasPrefix("v") { core = core.dropFirst() }
        if let cut = core.firstIndex(where: { $0 == "-" || $0 == "+" }) { core = core[..<cut] }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 6, part.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(part)
            else { return nil }
            numbers.append(n)
        }
        self.init(numbers[0], numbers[1], numbers.count == 3 ? numbers[2] : 0)
    }

    /// The newest behaviour the catalog describes (Phoenix main after v1.8.12).
    public static let newest = PhoenixVersion(1, 8, 12)

    /// `1.8.3`.
    public var description: String { "\(major).\(minor).\(patch)" }

    /// Orders by major, then minor, then patch.
    public static func < (lhs: PhoenixVersion, rhs: PhoenixVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}

/// A closed range of Phoenix versions; an open end means "every version on that side".
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    /// The first version in the range, or nil for "all earlier versions".
    public var from: PhoenixVersion?
    /// The last version in the range, or nil for "all later versions".
    public var through: PhoenixVersion?

    /// A range; nil ends are open.
    public init(from: PhoenixVersion? = nil, through: PhoenixVersion? = nil) {
        self.from = from
        self.through = through
    }

    /// Every version.
    public static let all = VersionRange()

    /// True when `version` lies in the range.
    public func contains(_ version: PhoenixVersion) -> Bool {
        if let from, version < from { return false }
        if let through, through < version { return false }
        return true
    }

    /// `all versions`, `>= 1.8.3`, `<= 1.8.2`, `1.8.3 - 1.8.11`.
    public var description: String {
        switch (from, through) {
        case (nil, nil): return "all versions"
        case (let f?, nil): return ">= \(f)"
        case (nil, let t?): return "<= \(t)"
        case (let f?, let t?): return "\(f) - \(t)"
        }
    }
}
