public import TapPipeline

/// What reading one or more captures came to.
public struct CaptureReport: Sendable {
    /// Packets read from all files.
    public var packets = 0
    /// One sentence per problem: a file that could not be opened, or damage that stopped one.
    public var problems: [CaptureError] = []
    /// The decoder's counts.
    public var statistics = CaptureDecoder.Statistics()
    /// Whether nothing at all could be read (the `phxtap read` exit status 2 case).
    public var nothingRead: Bool { packets == 0 && !problems.isEmpty }
}

/// Reads captures in order through one `CaptureDecoder`, so connection numbers stay unique
/// across files, and hands every event to `sink` as soon as it is known.
public enum CaptureReader {
    /// Reads `paths` in order. A file that cannot be opened or whose link type is unknown is
    /// skipped; a damaged one gives every packet before the damage. Each problem is in the report.
    /// `progress` is called every few thousand packets with the file's index, the bytes read
    /// from it so far and its size (for a progress bar).
    public static func read(
        paths: [String], options: CaptureOptions = CaptureOptions(),
        progress: ((_ file: Int, _ bytesRead: Int64, _ fileSize: Int64?) -> Void)? = nil,
        sink: (ConnectionEvent) throws -> Void
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
            var sinceProgress = 0
            let damage = try reader.forEachPacket { packet in
                lastTime = packet.time
                sinceProgress += 1
                if sinceProgress == 4096, let progress {
                    sinceProgress = 0
                    progress(fileIndex, reader.bytesRead, reader.fileSize)
                }
                decoder.packet(
                    linkType: linkType, time: packet.time, data: packet.data, originalLength: packet.originalLength,
                    into: &events)
                for event in events { try sink(event) }
                events.removeAll(keepingCapacity: true)
            }
            report.packets += reader.packetsRead
            if let damage { report.problems.append(damage) }
        }
        decoder.finish(time: lastTime, into: &events)
        for event in events { try sink(event) }
        report.statistics = decoder.statistics
        return report
    }
}
