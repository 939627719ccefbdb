/// The fields of a TCP header that reassembly uses.
public struct TCPHeader: Sendable, Hashable {
    /// Source port.
    public var sourcePort: UInt16
    /// Destination port.
    public var destinationPort: UInt16
    /// Sequence number of the first payload byte (or of the SYN itself).
    public var sequence: UInt32
    /// Acknowledgement number, meaningful when `ack` is set.
    public var acknowledgement: UInt32
    /// The flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20).
    public var flags: UInt8
    /// Offset of the payload in the packet.
    public var payloadOffset: Int
    /// Payload length declared by the IP header; `capturedPayloadLength` of it is present.
    public var payloadLength: Int
    /// Payload bytes present in the packet (less than `payloadLength` when the snap length cut it).
    public var capturedPayloadLength: Int

    /// FIN flag.
    public var fin: Bool { flags & 0x01 != 0 }
    /// SYN flag.
    public var syn: Bool { flags & 0x02 != 0 }
    /// RST flag.
    public var rst: Bool { flags & 0x04 != 0 }
    /// ACK flag.
    public var ack: Bool { flags & 0x10 != 0 }

    /// Parses the TCP header at `offset`, where the IP layer declared `segmentLength` bytes.
    /// Returns nil when the header is malformed or its fixed 20 bytes were not captured.
    ///
    /// ```
    /// | source port 2 | destination port 2 | sequence 4 | acknowledgement 4 |
    /// | data offset 4b, reserved 4b | flags 8b | window 2 | checksum 2 | urgent 2 | options ... | payload |
    /// ```
    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int, segmentLength: Int) -> TCPHeader? {
        guard offset >= 0, p.count - offset >= 20, segmentLength >= 20 else { return nil }
        let headerLength = Int(p[offset + 12] >> 4) * 4
        guard headerLength >= 20, headerLength <= segmentLength else { return nil }
        let payloadLength = segmentLength - headerLength
        let captured = max(0, min(payloadLength, p.count - offset - headerLength))
        return TCPHeader(
            sourcePort: be16(p, offset),
            destinationPort: be16(p, offset + 2),
            sequence: be32(p, offset + 4),
            acknowledgement: be32(p, offset + 8),
            flags: p[offset + 13],
            payloadOffset: offset + headerLength,
            payloadLength: payloadLength,
            capturedPayloadLength: captured
        )
    }
}
