import PhoenixProtocol
import Testing

/// Malformed input gives its named error. Binary inputs are literal hex with a comment saying
/// what is wrong, like swift-nio's WebSocket tests.
@Suite struct MalformedFrameTests {
    private func bytes(_ hex: String) -> Bytes {
        var out: [UInt8] = []
        var it = hex.filter { !$0.isWhitespace }.makeIterator()
        while let hi = it.next(), let lo = it.next() { out.append(UInt8(String([hi, lo]), radix: 16)!) }
        return out[...]
    }

    private func decodeError(_ frame: Bytes, _ opcode: DataOpcode, from: Direction = .client, serializer: Serializer = .v2) -> DecodeError? {
        do {
            _ = try PhoenixDecoder.decode(frame, opcode: opcode, from: from, serializer: serializer)
            return nil
        } catch {
            return error
        }
    }

    private func text(_ s: String) -> Bytes { Array(s.utf8)[...] }

    @Test func emptyFrame() {
        #expect(decodeError([][...], .text) == .emptyFrame(.text))
        #expect(decodeError([][...], .binary) == .emptyFrame(.binary))
    }

    @Test func truncatedClientPushHeader() {
        // kind 0 from the client needs 5 header bytes; only 3 here.
        let e = decodeError(bytes("00 01 01"), .binary)
        #expect(e == .truncatedHeader(layout: "binary push from the client", needed: 5, frameSize: 3))
        #expect(e?.description == "binary push from the client: header needs 5 bytes but the frame has 3")
    }

    @Test func truncatedReplyHeader() {
        // kind 1 (reply) needs 5 header bytes; the frame is just the kind byte.
        #expect(decodeError(bytes("01"), .binary, from: .server) == .truncatedHeader(layout: "binary reply", needed: 5, frameSize: 1))
    }

    @Test func sizePastTheEnd() {
        // A reply announcing a 40-byte topic in a 31-byte frame: join_ref "4", ref "5", then 24 bytes.
        let frame = bytes("01 01 01 28 02 34 35" + String(repeating: "61", count: 24))
        let e = decodeError(frame, .binary, from: .server)
        #expect(e == .fieldPastEnd(layout: "binary reply", field: "topic", size: 40, frameSize: 31))
        #expect(e?.description == "binary reply: topic size 40 runs past the end of a 31-byte frame")
    }

    @Test func broadcastEventPastTheEnd() {
        // kind 2: topic "t" (1 byte) and an event of 9 bytes, but only "ev" follows.
        #expect(decodeError(bytes("02 01 09 74 65 76"), .binary, from: .server)
            == .fieldPastEnd(layout: "binary broadcast", field: "event", size: 9, frameSize: 6))
    }

    @Test func unknownKind() {
        // kind 7 does not exist.
        #expect(decodeError(bytes("07 00 00 00 00"), .binary, from: .server) == .unknownKind(7))
    }

    @Test func serverLayoutReadAsClient() {
        // A well-formed server reply (kind 1) arriving from the client: clients only send kind 0.
        let reply = bytes("01 01 01 01 02 34 35 74 6f 6b")
        #expect(decodeError(reply, .binary, from: .client) == .serverKindFromClient(.reply))
        // A server push (4-byte header) read with the client's 5-byte layout: the sizes shift
        // by one and the event size becomes the first byte of the join_ref.
        let serverPush = bytes("00 01 04 03 34 72 6f 6f 6d 65 76 74 21")  // join_ref "4", topic "room", event "evt", payload "!"
        #expect(decodeError(serverPush, .binary, from: .client) == .fieldPastEnd(layout: "binary push from the client", field: "event", size: 52, frameSize: 13))
        #expect(throws: Never.self) { try PhoenixDecoder.decode(serverPush, opcode: .binary, from: .server, serializer: .v2) }
    }

    @Test func binaryFieldInvalidUTF8() {
        // Client push whose topic byte is 0xff.
        #expect(decodeError(bytes("00 00 01 01 01 35 ff 65"), .binary) == .invalidUTF8(context: "binary push from the client topic", offset: 6))
    }

    @Test func binaryOnV1() {
        #expect(decodeError(bytes("00 00 00 00 00"), .binary, serializer: .v1) == .binaryWithoutV2)
    }

    @Test func v2TextNotAnArray() {
        #expect(decodeError(text(#"{"topic":"t"}"#), .text) == .notAnArray(found: "object"))
        #expect(decodeError(text("42"), .text) == .notAnArray(found: "number"))
    }

    @Test func arrayOfFourElements() {
        let e = decodeError(text(#"["1","2","room:lobby","ping"]"#), .text)
        #expect(e == .tooFewElements(count: 4))
        #expect(e?.description == "V2 text frame has 4 elements; Phoenix needs 5: [join_ref, ref, topic, event, payload]")
        #expect(decodeError(text("[]"), .text) == .tooFewElements(count: 0))
    }

    @Test func invalidJSON() {
        #expect(decodeError(text(#"["1","2","t","e",{]"#), .text) == .invalidJSON(offset: 18, expected: "a string key"))
        #expect(decodeError(text(#"["1","2","t","e",{}"#), .text) == .invalidJSON(offset: 19, expected: "',' or ']'"))
        #expect(decodeError(text(#"["1","2","t","e",{}] x"#), .text) == .invalidJSON(offset: 21, expected: "end of text after the top-level value"))
        #expect(decodeError(text(#"["1","2","t","e",tru]"#), .text) == .invalidJSON(offset: 17, expected: "'true'"))
        #expect(decodeError(text(#"["\x"]"#), .text) == .invalidJSON(offset: 3, expected: "a valid escape after '\\'"))
        #expect(decodeError(text("[01]"), .text) == .invalidJSON(offset: 2, expected: "',' or ']'"))
    }

    @Test func invalidUTF8InText() {
        // "é" as Latin-1 (0xe9) inside an otherwise valid V2 frame.
        var frame = Array(#"["1","2","t","e",{"n":"x"}]"#.utf8)
        frame[22] = 0xE9
        #expect(decodeError(frame[...], .text) == .invalidUTF8(context: "text frame", offset: 22))
        // An overlong encoding of '/' (c0 af) is not UTF-8 either.
        #expect(decodeError(bytes("5b c0 af 5d"), .text) == .invalidUTF8(context: "text frame", offset: 1))
    }

    @Test func wrongEnvelopeTypes() {
        #expect(decodeError(text(#"["1","2",7,"e",{}]"#), .text) == .wrongType(field: "topic", expected: "a string", found: "number"))
        #expect(decodeError(text(#"["1","2","t",null,{}]"#), .text) == .wrongType(field: "event", expected: "a string", found: "null"))
    }

    @Test func v1Errors() {
        #expect(decodeError(text("[1]"), .text, serializer: .v1) == .notAnObject(found: "array"))
        #expect(decodeError(text(#"{"topic":"t","event":"e","payload":{}}"#), .text, serializer: .v1) == .missingKey("ref"))
        #expect(decodeError(text(#"{"event":"e","payload":{},"ref":"1"}"#), .text, serializer: .v1) == .missingKey("topic"))
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = "[\"1\",\"2\",\"t\",\"e\"," + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "]"
        #expect(decodeError(text(deep), .text) == .invalidJSON(offset: 528, expected: "nesting of at most 512 levels"))
    }
}
