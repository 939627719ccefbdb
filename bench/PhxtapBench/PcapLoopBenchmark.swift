import CPcap
import Foundation

/// The floor for reading a capture: libpcap's own loop, touching each packet once and nothing
/// more. `phxtap read` cannot be faster than this; the ratio shows what decoding costs.
enum PcapLoopBenchmark {
    static func run(paths: [String]) {
        var packets = 0
        var bytes = 0
        var checksum: UInt8 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        for path in paths {
            guard let handle = pcap_open_offline(path, &errbuf) else {
                let reason = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                FileHandle.standardError.write(Data("cannot open \(path): \(reason)\n".utf8))
                exit(2)
            }
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            while pcap_next_ex(handle, &header, &data) == 1 {
                packets += 1
                let length = Int(header!.pointee.caplen)
                bytes += length
                if length > 0 { checksum ^= data![length - 1] }
            }
            pcap_close(handle)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "libpcap loop: %d packets, %.1f MB in %.3f s (%.0f packets/s, checksum %d)",
                     packets, Double(bytes) / 1e6, seconds, Double(packets) / seconds, Int(checksum)))
    }
}
