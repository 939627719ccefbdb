/// How bad a finding is (DESIGN.md, transcript format).
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    /// Legal, worth knowing.
    case info
    /// Legal on the wire but a likely bug.
    case warning
    /// A protocol violation: the peer rejects or silently drops it, or the frame is malformed.
    case error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
