public import TapPipeline

/// Reads captures in order through one `CaptureDecoder`, so connection numbers stay unique
/// across files, and hands every event to `sink` as soon as it is known.
public enum CaptureReader {
    /// Reads `paths` in order. A file that cannot be opened or whose link type is unknown is
    /// skipped; a damaged one gives every packet before the damage. Each problem is in the report.
    /// `waiting` is called when a capture coming down a pipe has no next packet yet (see
    /// `PcapFileReader.forEachPacket`). `sink` owns each event it is given: a chunk of bytes
    /// it receives is referenced nowhere else, so a client's frames can be unmasked in place.
    public static func read(
        paths: [String], options: CaptureOptions = CaptureOptions(),
        progress: ((CaptureProgress) -> Void)? = nil,
        waiting: (() -> Void)? = nil,
        sink: (consuming ConnectionEvent) throws -> Void
    ) rethrows -> CaptureReport {
        var decoder = CaptureDecoder(options: options)
        var report = CaptureReport()
        var events: [ConnectionEvent] = []
        events.reserveCapacity(16)
        var lastTime = 0.0
        for (fileIndex, path) in paths.enumerated() {
            let reader: PcapFileReader
            do {
                reader = try PcapFileReader(path: path, filter: options.filter)
            } catch {
                report.problems.append(error)
                continue
            }
            guard LinkLayer.isSupported(reader.linkType) else {
                report.problems.append(.unsupportedLinkType(path: path, linkType: reader.linkType))
                continue
            }
            let linkType = reader.linkType
            func tell(_ packets: Int) {
                progress?(CaptureProgress(
                    path: path, fileIndex: fileIndex, fileCount: paths.count, bytesRead: reader.bytesRead,
                    fileSize: reader.fileSize, packets: packets))
            }
            let packetsBefore = report.packets
            let damage = try reader.forEachPacket(waiting: waiting) { packet in
                lastTime = packet.time
                decoder.packet(
                    linkType: linkType, time: packet.time, data: packet.data, originalLength: packet.originalLength,
                    into: &events)
                try handOver(&events, to: sink)
                if reader.packetsRead & 0x3FFF == 0 { tell(packetsBefore + reader.packetsRead) }
            }
            report.packets += reader.packetsRead
            tell(report.packets)
            if let damage { report.problems.append(damage) }
        }
        decoder.finish(time: lastTime, into: &events)
        try handOver(&events, to: sink)
        report.statistics = decoder.statistics
        return report
    }

    /// Moves `events` to `sink` in order, leaving the array empty (its capacity kept). Moved,
    /// not lent: a lent event's bytes stay shared with the array, and unmasking them copied
    /// every client segment.
    private static func handOver(
        _ events: inout [ConnectionEvent], to sink: (consuming ConnectionEvent) throws -> Void
    ) rethrows {
        events.reverse()
        while let event = events.popLast() { try sink(consume event) }
    }
}
