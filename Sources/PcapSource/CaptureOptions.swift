/// How a capture is read and turned into connection events.
public struct CaptureOptions: Sendable, Hashable {
    /// A BPF filter expression (tcpdump syntax) applied by libpcap before decoding, or nil for
    /// every packet. Only the libpcap shell uses it; the pure decoder never sees it.
    public var filter: String?
    /// Ports taken to be the server's when a connection's handshake was not captured. Without a
    /// SYN the roles are guessed: a port in this set is the server, else the lower port is.
    public var assumeServerPorts: Set<Int>
    /// Bytes held per direction for segments that arrived ahead of a hole. Past this bound the
    /// hole is reported as a `.gap` and delivery resumes at the first held segment.
    public var maxBufferedBytesPerDirection: Int
    /// Bytes of already delivered data kept per direction, to check that a retransmission
    /// carries the same bytes as the original. Older retransmissions cannot be checked. This
    /// is the main cost of an open connection (twice this), so it is kept small.
    public var retransmissionCheckBytes: Int
    /// Incomplete IP datagrams are given up after this many seconds of capture time.
    public var fragmentTimeout: Double
    /// At most this many incomplete IP datagrams are held; the oldest is given up first.
    public var maxPendingFragmentedDatagrams: Int

    /// Options with the defaults: no filter, no assumed server ports, 4 MiB of out-of-order
    /// data per direction, 2 KiB of retransmission history, 30 s and 256 datagrams for fragments.
    public init(
        filter: String? = nil,
        assumeServerPorts: Set<Int> = [],
        maxBufferedBytesPerDirection: Int = 4 << 20,
        retransmissionCheckBytes: Int = 2 << 10,
        fragmentTimeout: Double = 30,
        maxPendingFragmentedDatagrams: Int = 256
    ) {
        self.filter = filter
        self.assumeServerPorts = assumeServerPorts
        self.maxBufferedBytesPerDirection = maxBufferedBytesPerDirection
        self.retransmissionCheckBytes = retransmissionCheckBytes
        self.fragmentTimeout = fragmentTimeout
        self.maxPendingFragmentedDatagrams = maxPendingFragmentedDatagrams
    }
}
