/// Why a capture could not be read, or where reading it stopped. Each prints as one sentence.
public enum CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened as a pcap or pcapng capture (`reason` is libpcap's).
    case cannotOpen(path: String, reason: String)
    /// The BPF filter expression did not compile or could not be installed.
    case badFilter(expression: String, reason: String)
    /// The capture's link-layer type is not one this reader decodes.
    case unsupportedLinkType(path: String, linkType: Int32)
    /// Reading stopped at damage (a truncated or corrupt record) after `packetsRead` good packets.
    case damaged(path: String, packetsRead: Int, reason: String)

    /// The problem as one sentence, for stderr.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "Cannot read \(path) as a capture: \(reason)."
        case .badFilter(let expression, let reason):
            return "The filter \"\(expression)\" is not valid: \(reason)."
        case .unsupportedLinkType(let path, let linkType):
            return "\(path) uses link-layer type \(linkType), which phxtap does not decode "
                + "(supported: Ethernet, Linux cooked v1 and v2, BSD loopback, raw IP)."
        case .damaged(let path, let packetsRead, let reason):
            return "\(path) is damaged after packet \(packetsRead): \(reason); everything before it was read."
        }
    }
}
