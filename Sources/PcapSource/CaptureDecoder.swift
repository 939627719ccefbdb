import PhoenixProtocol
public import TapPipeline

/// Turns captured packets into connection events: link layer, IP (with fragment reassembly),
/// then TCP reassembly per connection and direction. Pure: packets and their capture times
/// come in, events go out; it never touches files, libpcap or the clock.
///
/// Memory stays flat however long the capture: only open connections hold state, a
/// connection's state is dropped when both FINs (or a RST) have been seen, and each direction
/// holds at most `maxBufferedBytesPerDirection` out-of-order bytes plus a small history ring.
///
/// Who is the client: the sender of a SYN (or the receiver of a SYN-ACK) when the handshake
/// was captured. A capture that starts mid-connection has no handshake, so the roles are
/// guessed: a port in `assumeServerPorts` is the server's; otherwise the lower port is,
/// because clients almost always use an ephemeral port (32768 and up on Linux, 49152 and up
/// on macOS and Windows) while servers listen on a lower, configured one.
public struct CaptureDecoder: Sendable {
    /// Counts of what was seen, for diagnostics and progress.
    public struct Statistics: Sendable, Hashable {
        /// Packets handed to the decoder.
        public var packets = 0
        /// Packets that carried no IP (ARP, LLDP, unknown link layer contents).
        public var notIP = 0
        /// IP packets that carried no TCP (UDP, ICMP, ...).
        public var notTCP = 0
        /// Packets whose IP or TCP header was malformed or cut short by the snap length.
        public var malformed = 0
        /// TCP segments that belonged to no connection and could not start one (a bare ACK,
        /// FIN or RST, or a late segment of a connection already closed).
        public var orphanSegments = 0
        /// IP fragments seen, and datagrams rebuilt from them.
        public var fragments = 0
        /// Datagrams rebuilt from fragments.
        public var reassembledDatagrams = 0
        /// Connections opened.
        public var connections = 0
    }

    private let options: CaptureOptions
    /// Open connections live in `slots` (reused when freed, so updates happen in place) and
    /// are found through `index`: one hash lookup per packet.
    private var index: [FlowKey: Int] = [:]
    private var slots = StableSlots<TCPConnection>()
    private var nextConn = 1
    private var fragments: IPFragmentReassembler
    /// Keys of recently closed connections, so their final ACKs and late retransmissions do
    /// not open a new mid-stream connection. A bounded ring: memory stays flat.
    private var recentlyClosed: Set<FlowKey> = []
    private var closedRing: [FlowKey?]
    private var closedRingNext = 0
    private var abandoned: [IPFragmentReassembler.Abandoned] = []
    /// What was seen so far.
    public private(set) var statistics = Statistics()

    /// A decoder with these options (the filter is the shell's business and is ignored here).
    public init(options: CaptureOptions = CaptureOptions()) {
        self.options = options
        self.fragments = IPFragmentReassembler(
            timeout: options.fragmentTimeout, maxDatagrams: options.maxPendingFragmentedDatagrams)
        self.closedRing = Array(repeating: nil, count: 4096)
    }

    /// The number of connections currently open (holding state).
    public var openConnections: Int { index.count }

    /// Decodes one packet and appends its events to `events`. `data` is the captured bytes
    /// (caplen), `originalLength` the length on the wire (len); the difference was cut by the
    /// snap length and is reported as a `.gap` where it held TCP payload.
    public mutating func packet(
        linkType: Int32, time: Double, data: UnsafeRawBufferPointer, originalLength: Int,
        into events: inout [ConnectionEvent]
    ) {
        statistics.packets += 1
        guard let ipOffset = LinkLayer.ipOffset(linkType: linkType, packet: data) else {
            statistics.notIP += 1
            return
        }
        guard let ip = IPHeader.parse(data, at: ipOffset, originalLength: max(originalLength, data.count)) else {
            statistics.malformed += 1
            return
        }
        guard ip.proto == 6 else {
            statistics.notTCP += 1
            return
        }
        if let fragment = ip.fragment {
            statistics.fragments += 1
            let available = max(0, min(ip.payloadLength, data.count - ip.payloadOffset))
            let payload = UnsafeRawBufferPointer(rebasing: data[ip.payloadOffset..<(ip.payloadOffset + available)])
            let whole = fragments.add(header: ip, fragment: fragment, payload: payload, time: time, abandoned: &abandoned)
            reportAbandoned(time: time, into: &events)
            guard let whole else { return }
            statistics.reassembledDatagrams += 1
            whole.withUnsafeBytes { datagram in
                segment(ip: ip, data: datagram, at: 0, length: datagram.count, time: time, into: &events)
            }
            return
        }
        segment(ip: ip, data: data, at: ip.payloadOffset, length: ip.payloadLength, time: time, into: &events)
    }

    /// The capture ended: gives up incomplete fragments, flushes every open connection
    /// (reporting its holes as gaps) and closes it, in connection order.
    public mutating func finish(time: Double, into events: inout [ConnectionEvent]) {
        fragments.finish(into: &abandoned)
        reportAbandoned(time: time, into: &events)
        for slot in index.values.sorted(by: { slots[$0]!.conn < slots[$1]!.conn }) {
            slots[slot]!.finish(time: time, into: &events)
        }
        index.removeAll()
        slots.removeAll()
    }

    /// The capture ended (a convenience over the `into:` form).
    public mutating func finish(time: Double) -> [ConnectionEvent] {
        var events: [ConnectionEvent] = []
        finish(time: time, into: &events)
        return events
    }

    // MARK: - TCP

    private mutating func segment(
        ip: IPHeader, data: UnsafeRawBufferPointer, at offset: Int, length: Int, time: Double,
        into events: inout [ConnectionEvent]
    ) {
        guard let tcp = TCPHeader.parse(data, at: offset, segmentLength: length) else {
            statistics.malformed += 1
            return
        }
        let (key, fromLow) = FlowKey.of(
            source: ip.source, sourcePort: tcp.sourcePort, destination: ip.destination,
            destinationPort: tcp.destinationPort)
        // The snap length may cut inside the TCP options: then no payload byte was captured.
        let payloadStart = min(tcp.payloadOffset, data.count)
        let payload = UnsafeRawBufferPointer(
            rebasing: data[payloadStart..<(payloadStart + tcp.capturedPayloadLength)])

        var slot = index[key]
        if let existing = slot, tcp.syn && !tcp.ack && slots[existing]!.clientInitialSequence != tcp.sequence {
            // A new SYN on the ports of an open connection: the old one is over.
            slots[existing]!.finish(
                time: time, how: .failed("a new connection (SYN) reused its addresses and ports"), into: &events)
            close(key, slot: existing)
            slot = nil
        }
        if slot == nil {
            slot = open(key, fromLow: fromLow, ip: ip, tcp: tcp, time: time, into: &events)
            guard slot != nil else {
                statistics.orphanSegments += 1
                return
            }
        }
        let current = slot!
        if (tcp.fin || tcp.rst) && fragments.pendingCount > 0 {
            // The connection may close now: note its unfinished datagrams while it is open.
            fragments.abandon(where: { datagram in
                guard let ports = datagram.ports else { return false }
                return FlowKey.of(
                    source: datagram.source, sourcePort: ports.source, destination: datagram.destination,
                    destinationPort: ports.destination).key == key
            }, into: &abandoned)
            reportAbandoned(time: time, into: &events)
        }
        let direction: Direction = fromLow == slots[current]!.clientIsLow ? .client : .server
        if slots[current]!.handle(tcp, from: direction, payload: payload, time: time, into: &events) {
            close(key, slot: current)
        }
    }

    /// Starts a connection for a segment of an unknown flow, if the segment can start one.
    private mutating func open(
        _ key: FlowKey, fromLow: Bool, ip: IPHeader, tcp: TCPHeader, time: Double, into events: inout [ConnectionEvent]
    ) -> Int? {
        let senderIsClient: Bool
        var clientInitialSequence: UInt32?
        if tcp.syn && !tcp.rst {
            senderIsClient = !tcp.ack
            if senderIsClient { clientInitialSequence = tcp.sequence }
            recentlyClosed.remove(key)
        } else {
            // Without a SYN only data can start a connection, and not if it is a late
            // segment of one already closed.
            guard tcp.payloadLength > 0, !tcp.rst, !recentlyClosed.contains(key) else { return nil }
            senderIsClient = Self.senderLooksLikeClient(
                sourcePort: Int(tcp.sourcePort), destinationPort: Int(tcp.destinationPort),
                assumedServerPorts: options.assumeServerPorts)
        }
        let conn = nextConn
        nextConn += 1
        statistics.connections += 1
        let clientIsLow = senderIsClient == fromLow
        let connection = TCPConnection(
            conn: conn, clientIsLow: clientIsLow, sawHandshake: tcp.syn, clientInitialSequence: clientInitialSequence,
            options: options)
        let slot = slots.insert(connection)
        index[key] = slot
        let sender = Endpoint(host: ip.source.description, port: Int(tcp.sourcePort))
        let receiver = Endpoint(host: ip.destination.description, port: Int(tcp.destinationPort))
        events.append(.opened(
            conn: conn, time: time, client: senderIsClient ? sender : receiver,
            server: senderIsClient ? receiver : sender))
        return slot
    }

    /// The mid-stream guess: the server is the side whose port is assumed, else the lower port.
    static func senderLooksLikeClient(sourcePort: Int, destinationPort: Int, assumedServerPorts: Set<Int>) -> Bool {
        let sourceAssumed = assumedServerPorts.contains(sourcePort)
        let destinationAssumed = assumedServerPorts.contains(destinationPort)
        if sourceAssumed != destinationAssumed { return destinationAssumed }
        return sourcePort > destinationPort
    }

    private mutating func close(_ key: FlowKey, slot: Int) {
        index.removeValue(forKey: key)
        slots.remove(at: slot)
        if let evicted = closedRing[closedRingNext] { recentlyClosed.remove(evicted) }
        closedRing[closedRingNext] = key
        closedRingNext = (closedRingNext + 1) % closedRing.count
        recentlyClosed.insert(key)
    }

    // MARK: - Fragments

    /// Notes each abandoned datagram on the connection its ports name, if that is open; its
    /// bytes then show up as a `.gap` in the stream.
    private mutating func reportAbandoned(time: Double, into events: inout [ConnectionEvent]) {
        guard !abandoned.isEmpty else { return }
        for datagram in abandoned {
            guard let ports = datagram.ports else { continue }
            let (key, _) = FlowKey.of(
                source: datagram.source, sourcePort: ports.source, destination: datagram.destination,
                destinationPort: ports.destination)
            guard let slot = index[key], let connection = slots[slot] else { continue }
            let size = datagram.totalLength.map { "\($0) bytes" } ?? "unknown size"
            events.append(.sourceNote(
                conn: connection.conn, time: time, rule: "ip-fragment",
                text: "An IP datagram (id \(datagram.id), \(size)) from \(datagram.source) was never completed: "
                    + "only \(datagram.received) bytes of its fragments were captured, so its TCP bytes are missing."))
        }
        abandoned.removeAll(keepingCapacity: true)
    }
}
