// Reads captures through PcapSource as fast as it can and prints packets/s, MB/s and the
// bytes reassembled. Build in release: swift build -c release --product pcap-bench
import PcapSource
import TapPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let paths = Array(CommandLine.arguments.dropFirst())
guard !paths.isEmpty else {
    print("usage: pcap-bench CAPTURE...")
    exit(2)
}
var fileBytes: Int64 = 0
for path in paths {
    var status = stat()
    if stat(path, &status) == 0 { fileBytes += Int64(status.st_size) }
}
var streamBytes = 0
var connections = 0
var gaps = 0
let start = now()
let report = CaptureReader.read(paths: paths) { event in
    switch event {
    case .bytes(_, _, _, let bytes): streamBytes += bytes.count
    case .opened: connections += 1
    case .gap: gaps += 1
    default: break
    }
}
let seconds = now() - start
for problem in report.problems { print(problem) }
print("packets \(report.packets), connections \(connections), gaps \(gaps), stream bytes \(streamBytes)")
let packetsPerSecond = Int(Double(report.packets) / seconds)
let captureMBs = Int(Double(fileBytes) / seconds / 1e6)
let streamMBs = Int(Double(streamBytes) / seconds / 1e6)
let milliseconds = Int(seconds * 1000)
print("\(milliseconds) ms, \(packetsPerSecond) packets/s, \(captureMBs) MB/s of capture, \(streamMBs) MB/s of stream")
