import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One packet as libpcap read it. `data` is valid only inside the `forEachPacket` body.
public struct PcapPacket {
    /// Capture time, seconds since the Unix epoch (microsecond resolution).
    public var time: Double
    /// The captured bytes (caplen of them).
    public var data: UnsafeRawBufferPointer
    /// The packet's length on the wire (len); more than `data.count` when the snap length cut it.
    public var originalLength: Int
}

/// The libpcap shell: opens a pcap or pcapng file (`pcap_open_offline` reads both), installs an
/// optional BPF filter, and hands out packets. Everything after the bytes is `CaptureDecoder`.
public final class PcapFileReader {
    private let handle: OpaquePointer
    /// The path the capture was opened from.
    public let path: String
    /// The link-layer type of every packet, as `pcap_datalink` reports it (a DLT value).
    public let linkType: Int32
    /// The file's size in bytes, for a progress bar (nil when it cannot be told, e.g. a pipe).
    public let fileSize: Int64?
    /// Packets handed out so far.
    public private(set) var packetsRead = 0

    /// Opens `path` and, when `filter` is given, compiles and installs it as a BPF filter.
    public init(path: String, filter: String? = nil) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            let reason = Self.sentence(errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, path: path)
            throw .cannotOpen(path: path, reason: reason)
        }
        self.handle = handle
        self.path = path
        self.linkType = pcap_datalink(handle)
        // Of the stream libpcap reads, not of the path: `-` is standard input, which may be a
        // file (`< capture.pcap`) or a pipe.
        self.fileSize = pcap_file(handle).flatMap(StreamInput.regularFileSize)
        // Every stored property is set from here on, so deinit closes the handle if we throw.
        if let filter {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let reason = String(cString: pcap_geterr(handle))
                throw .badFilter(expression: filter, reason: reason)
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                let reason = String(cString: pcap_geterr(handle))
                throw .badFilter(expression: filter, reason: reason)
            }
        }
    }

    deinit { pcap_close(handle) }

    /// Checks that `filter` compiles, before any file is opened, so a typo is reported before
    /// any output is written. Link-layer specific expressions are checked again per file.
    public static func check(filter: String) -> CaptureError? {
        guard let dead = pcap_open_dead(DLT_EN10MB, 65535) else { return nil }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            return .badFilter(expression: filter, reason: String(cString: pcap_geterr(dead)))
        }
        pcap_freecode(&program)
        return nil
    }

    /// Bytes of the file consumed so far, for a progress bar.
    public var bytesRead: Int64 {
        guard let file = pcap_file(handle) else { return 0 }
        return Int64(ftell(file))
    }

    /// Calls `body` for each packet in file order. Returns nil at a clean end of file, or the
    /// damage that stopped reading (a truncated or corrupt record) after the good packets.
    ///
    /// `waiting` is called, for a capture that is not a regular file (a pipe from a live
    /// tcpdump), each time the next packet has not arrived yet: the caller's moment to show
    /// what it has. A regular file never waits and is never asked.
    public func forEachPacket(waiting: (() -> Void)? = nil, _ body: (PcapPacket) throws -> Void) rethrows -> CaptureError? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var bytes: UnsafePointer<UInt8>?
        let stream = fileSize == nil && waiting != nil ? pcap_file(handle) : nil
        while true {
            if let stream, StreamInput.wouldWait(stream) { waiting?() }
            switch pcap_next_ex(handle, &header, &bytes) {
            case 1:
                guard let header, let bytes else { continue }
                let h = header.pointee
                packetsRead += 1
                try body(PcapPacket(
                    time: Double(h.ts.tv_sec) + Double(h.ts.tv_usec) / 1_000_000,
                    data: UnsafeRawBufferPointer(start: bytes, count: Int(h.caplen)),
                    originalLength: Int(h.len)))
            case PCAP_ERROR_BREAK:  // -2: end of file
                return nil
            default:
                let reason = Self.sentence(String(cString: pcap_geterr(handle)), path: path)
                return .damaged(path: path, packetsRead: packetsRead, reason: reason)
            }
        }
    }

    /// libpcap's messages, trimmed to fit inside one of our sentences.
    private static func sentence(_ message: String, path: String) -> String {
        var text = Substring(message)
        if text.hasPrefix(path + ": ") { text = text.dropFirst(path.count + 2) }
        while let last = text.last, last == "." || last == "\n" || last == " " { text = text.dropLast() }
        return text.isEmpty ? "libpcap gave no reason" : String(text)
    }
}
