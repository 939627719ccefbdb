import PhoenixProtocol
import TapPipeline

/// One TCP connection being reassembled: who is the client, and a reassembler per direction.
struct TCPConnection: Sendable {
    /// The connection number its events carry.
    let conn: Int
    /// Whether the client is the key's lower endpoint.
    let clientIsLow: Bool
    /// Whether the handshake was seen (then both directions can start clean).
    let sawHandshake: Bool
    /// The client's initial sequence number, to tell a retransmitted SYN from a new connection.
    let clientInitialSequence: UInt32?
    var client: TCPReassembler
    var server: TCPReassembler
    /// The side whose FIN was seen first, for `.closed(how: .fin(from:))`.
    var firstFin: Direction?

    init(conn: Int, clientIsLow: Bool, sawHandshake: Bool, clientInitialSequence: UInt32?, options: CaptureOptions) {
        self.conn = conn
        self.clientIsLow = clientIsLow
        self.sawHandshake = sawHandshake
        self.clientInitialSequence = clientInitialSequence
        client = TCPReassembler(
            conn: conn, direction: .client, maxHeldBytes: options.maxBufferedBytesPerDirection,
            historyBytes: options.retransmissionCheckBytes)
        server = TCPReassembler(
            conn: conn, direction: .server, maxHeldBytes: options.maxBufferedBytesPerDirection,
            historyBytes: options.retransmissionCheckBytes)
    }

    /// Feeds one segment. Returns true when the connection is over (both FINs or a RST) and
    /// its `.closed` event has been appended.
    mutating func handle(
        _ tcp: TCPHeader, from direction: Direction, payload: UnsafeRawBufferPointer, time: Double,
        into events: inout [ConnectionEvent]
    ) -> Bool {
        var sequence = tcp.sequence
        if tcp.syn {
            // The SYN takes one sequence number; data (TCP Fast Open) follows it.
            withStream(direction) { $0.start(at: tcp.sequence &+ 1, clean: true) }
            sequence &+= 1
        }
        if tcp.ack {
            let anchor = sawHandshake
            withStream(direction.opposite) { peer in
                // The handshake's ACK anchors a direction whose SYN-ACK was not captured.
                if !peer.isStarted && anchor { peer.start(at: tcp.acknowledgement, clean: true) }
                peer.acknowledged(tcp.acknowledgement, time: time, into: &events)
            }
        }
        if tcp.rst {
            client.flush(time: time, into: &events)
            server.flush(time: time, into: &events)
            events.append(.closed(conn: conn, time: time, how: .reset(from: direction)))
            return true
        }
        let lost = tcp.payloadLength - payload.count
        withStream(direction) {
            $0.segment(sequence: sequence, payload: payload, lostTail: lost, fin: tcp.fin, time: time, into: &events)
        }
        if firstFin == nil && tcp.fin { firstFin = direction }
        if client.isFinished && server.isFinished {
            events.append(.closed(conn: conn, time: time, how: .fin(from: firstFin ?? direction)))
            return true
        }
        return false
    }

    /// The capture ended with the connection open (or `how` says why else it ends): flush
    /// both directions and close it.
    mutating func finish(time: Double, how: ConnectionEnd? = nil, into events: inout [ConnectionEvent]) {
        client.flush(time: time, into: &events)
        server.flush(time: time, into: &events)
        events.append(.closed(conn: conn, time: time, how: how ?? firstFin.map { .fin(from: $0) } ?? .endOfInput))
    }

    private mutating func withStream(_ direction: Direction, _ body: (inout TCPReassembler) -> Void) {
        if direction == .client { body(&client) } else { body(&server) }
    }
}
