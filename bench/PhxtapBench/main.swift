// Throughput benchmarks for PhoenixTap's pure core, run by the scripts in bench/.
// Prints one line per measurement; the scripts add the context (peers, ratios).
import Foundation
import PhoenixProtocol

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "decode":
    DecodeBenchmark.run(capturesDirectory: arguments.dropFirst().first ?? "Captures")
case "pcap-loop":
    PcapLoopBenchmark.run(paths: Array(arguments.dropFirst()))
default:
    FileHandle.standardError.write(Data("usage: phxtap-bench decode [CAPTURES_DIR] | pcap-loop CAPTURE...\n".utf8))
    exit(2)
}
