/// The serializer a connection uses, chosen by the server from the `vsn` query parameter.
public enum Serializer: String, Sendable, Hashable, Codable {
    /// `Phoenix.Socket.V1.JSONSerializer`: JSON objects, text frames only.
    case v1
    /// `Phoenix.Socket.V2.JSONSerializer`: JSON arrays in text frames, and binary frames.
    case v2

    /// The serializer a frame's shape suggests when no handshake says (a capture that starts
    /// mid-connection, a filtered transcript): a V1 message is a JSON object, anything else V2.
    public static func guessed(fromFrame frame: some Collection<UInt8>) -> Serializer {
        frame.first == UInt8(ascii: "{") ? .v1 : .v2
    }

    /// A `vsn` the server negotiates to this serializer.
    public var vsn: String {
        switch self {
        case .v1: return "1.0.0"
        case .v2: return "2.0.0"
        }
    }
}

/// What a Phoenix server does with a connection's `vsn`, following `Phoenix.Socket`'s
/// `negotiate_serializer` (socket.ex:613-640) and the default serializer list
/// `[{V1.JSONSerializer, "~> 1.0.0"}, {V2.JSONSerializer, "~> 2.0.0"}]`.
public enum VsnNegotiation: Sendable, Hashable {
    /// The serializer the server picks. A missing vsn means "1.0.0" (socket.ex:499).
    case accepted(Serializer)
    /// The vsn is not a semantic version ("Client sent invalid transport version"): HTTP 403.
    case unparseable(String)
    /// A valid version that matches neither requirement: HTTP 403.
    case unsupported(String)

    /// The serializer the connection will use, if the server accepts it.
    public var serializer: Serializer? {
        if case .accepted(let s) = self { return s }
        return nil
    }

    /// Negotiates like the server. `vsn` is the raw query value, nil when the parameter is absent.
    public static func negotiate(vsn: String?) -> VsnNegotiation {
        guard let vsn else { return .accepted(.v1) }
        guard let version = SemanticVersion(vsn) else { return .unparseable(vsn) }
        // "~> 1.0.0" is >= 1.0.0 and < 1.1.0-0; a pre-release of x.y.0 sorts below x.y.0.
        if version.major == 1, version.minor == 0, version.preRelease.isEmpty { return .accepted(.v1) }
        if version.major == 2, version.minor == 0, version.preRelease.isEmpty { return .accepted(.v2) }
        return .unsupported(vsn)
    }
}

/// The subset of Elixir's `Version.parse/1` that negotiation needs: MAJOR.MINOR.PATCH with
/// optional `-pre` and `+build`, no leading zeros.
struct SemanticVersion: Hashable {
    var major: Int
    var minor: Int
    var patch: Int
    var preRelease: String

    init?(_ text: String) {
        var core = Substring(text)
        if let plus = core.firstIndex(of: "+") {
            guard core.index(after: plus) < core.endIndex else { return nil }
            core = core[..<plus]
        }
        var pre = ""
        if let dash = core.firstIndex(of: "-") {
            pre = String(core[core.index(after: dash)...])
            guard !pre.isEmpty else { return nil }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let n = Int(part)
            else { return nil }
            numbers.append(n)
        }
        (major, minor, patch, preRelease) = (numbers[0], numbers[1], numbers[2], pre)
    }
}
