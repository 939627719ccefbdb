import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

/// The diagram writer against the grammar of the subset, with names chosen to break it.
@Suite struct MermaidDiagramTests {
    static func message(_ seq: Int, from: Direction, _ frame: String, annotations: [Annotation] = []) -> MessageRecord {
        let raw = Array(frame.utf8)
        return MessageRecord(
            conn: 1, seq: seq, time: Double(seq), from: from, opcode: .text, raw: raw[...],
            decoded: Result { () throws(DecodeError) -> PhoenixMessage in
                try PhoenixDecoder.decode(raw[...], opcode: .text, from: from, serializer: .v2)
            }, annotations: annotations)
    }

    @Test func hostileNamesAreEscapedAndStillReadTheSame() throws {
        // A topic and an event with every character Mermaid treats as syntax.
        let topic = #"room;1#2\"q\"<b>%%x"#
        let records: [TranscriptRecord] = [
            .message(Self.message(1, from: .client, #"["1","1",""# + topic + #"","phx_join",{}]"#)),
            .message(Self.message(2, from: .server, #"["1","1",""# + topic + #"","phx_reply",{"status":"ok","response":{}}]"#,
                                  annotations: [Annotation(rule: "x;y", severity: .warning, text: "t")])),
            .message(Self.message(3, from: .client, #"not json; at all #"#)),
        ]
        let diagram = MermaidDiagram().render(open: nil, records: records)
        #expect(MermaidGrammar.problems(in: diagram) == [], "\(diagram)")
        let lines = diagram.split(separator: "\n").map(String.init)
        #expect(lines.contains("    autonumber"))
        let join = try #require(lines.first { $0.hasPrefix("    C->>S: ") })
        #expect(MermaidGrammar.decode(String(join.dropFirst("    C->>S: ".count))) == #"phx_join room;1#2"q"<b>%%x j=1 r=1"#)
        #expect(lines.contains { $0.hasPrefix("    S-->>C: phx_reply ok ") })
        #expect(lines.contains("    Note over C,S: warning x#59;y"))
        #expect(lines.contains { $0.hasPrefix("    C-xS: undecodable text frame") })
    }

    @Test func gapsInNumberingPutTheNumberInTheLabel() {
        let records: [TranscriptRecord] = [
            .message(Self.message(2, from: .client, #"["1","2","t","ping",{}]"#)),
            .message(Self.message(5, from: .server, #"["1","2","t","phx_reply",{"status":"ok","response":{}}]"#)),
        ]
        let diagram = MermaidDiagram().render(open: nil, records: records)
        #expect(!diagram.contains("autonumber"))
        #expect(diagram.contains("    C->>S: 2 ping t j=1 r=2\n"))
        #expect(MermaidGrammar.problems(in: diagram) == [])
    }

    @Test func longExchangesAreCutWithANote() {
        let records: [TranscriptRecord] = (1...100).map { .message(Self.message($0, from: .client, #"[null,"\#($0)","phoenix","heartbeat",{}]"#)) }
        let diagram = MermaidDiagram(maxMessages: 10).render(open: nil, records: records)
        #expect(diagram.split(separator: "\n").filter { $0.contains("->>") }.count == 10)
        #expect(diagram.contains("Note over C,S: 90 more messages not drawn, listed below"))
        #expect(MermaidGrammar.problems(in: diagram) == [])
    }

    /// The grammar check itself rejects what Mermaid would misread.
    @Test func grammarRejectsUnescapedText() {
        let cases: [(String, String)] = [
            ("sequenceDiagram\n    participant C as Client\n    C->>S: hi", "line 3: message names undeclared participant S"),
            ("sequenceDiagram\n    participant C as Client\n    participant S as S\n    C->>S: a;b", "line 4: raw ; in text ends the statement"),
            ("sequenceDiagram\n    participant C as Client\n    participant S as S\n    C->>S: #1 topic", "line 4: # not part of an entity code"),
            ("sequenceDiagram\n    participant C as Client\n    participant S as S\n    Note over C,S: \"q\"", "line 4: raw \" in text"),
            ("graph TD\n", "line 1: expected sequenceDiagram first"),
        ]
        for (source, problem) in cases {
            #expect(MermaidGrammar.problems(in: source).contains(problem), "\(source)")
        }
    }
}
