// Throughput benchmarks for PhoenixTap's pure core, run by the scripts in bench/.
// Prints one line per measurement; the scripts add the context (peers, ratios).
import Foundation
import PhoenixProtocol

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "decode":
    DecodeBenchmark.run(capturesDirectory: arguments.dropFirst().first ?? "Captures")
default:
    FileHandle.standardError.write(Data("usage: phxtap-bench decode [CAPTURES_DIR]\n".utf8))
    exit(2)
}
