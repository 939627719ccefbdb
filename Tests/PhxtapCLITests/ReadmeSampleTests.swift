import Foundation
import Testing

/// The README's sample output is real: every line of it is printed by the command it names.
@Suite struct ReadmeSampleTests {
    static func codeBlocks(in section: String) throws -> [[String]] {
        let readme = try String(contentsOf: PhxtapProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "## \(section)"))
        let rest = readme[start.upperBound...]
        let body = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        return body.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map { block in
            block.element.split(separator: "\n").dropFirst(block.element.hasPrefix("\n") ? 0 : 1).map(String.init)
        }
    }

    @Test func whatItPrintsIsWhatPhxtapPrints() throws {
        let blocks = try Self.codeBlocks(in: "What it prints")
        #expect(blocks.count == 2)
        #expect(blocks[0].count > 10 && blocks[1].count == 2)
        let basic = try PhxtapProcess.run(["read", "--format", "text", "Captures/basic.pcap"]).stdout.split(separator: "\n").map(String.init)
        let errors = try PhxtapProcess.run(["read", "--format", "text", "Captures/errors.pcap"]).stdout.split(separator: "\n").map(String.init)
        for line in blocks[0] { #expect(basic.contains(line), "README line not printed: \(line)") }
        for line in blocks[1] { #expect(errors.contains(line), "README line not printed: \(line)") }
    }
}
