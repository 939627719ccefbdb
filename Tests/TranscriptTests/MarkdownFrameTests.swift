import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

/// How a frame appears in a Markdown export: long text is cut at a character boundary, never
/// turned into a hex dump because the cut fell inside a character.
@Suite struct MarkdownFrameTests {
    private func markdown(_ raw: [UInt8], opcode: DataOpcode = .text, maxRawBytes: Int) -> String {
        let record = TranscriptRecord.message(MessageRecord(
            conn: 1, seq: 1, time: 1, from: .server, opcode: opcode, raw: raw[...],
            decoded: Result { () throws(DecodeError) -> PhoenixMessage in
                try PhoenixDecoder.decode(raw[...], opcode: opcode, from: .server, serializer: .v2)
            }))
        return MarkdownRenderer(maxRawBytes: maxRawBytes).render([record])
    }

    @Test(arguments: [1, 2, 3, 4])
    func longTextIsCutAtACharacterBoundary(past: Int) {
        // Three-byte characters (CJK) after a 33-byte prefix: cuts on and inside them.
        let prefix = #"["1","2","room:1","msg",{"body":""#
        let text = prefix + String(repeating: "漢字", count: 20) + #""}]"#
        let md = markdown(Array(text.utf8), maxRawBytes: prefix.utf8.count + past)
        #expect(md.contains("```text\n" + prefix))
        #expect(!md.contains("0000  5b"), "shown as a hex dump")
        #expect(md.contains("of \(text.utf8.count) bytes)"))
    }

    @Test func binaryFramesAreAHexDumpWithOffsets() {
        let md = markdown([0, 1, 2, 3] + Array(repeating: 0x41, count: 20), opcode: .binary, maxRawBytes: 1500)
        #expect(md.contains("0000  00 01 02 03 41"))
        #expect(md.contains("\n0010  41 41"))
    }
}
