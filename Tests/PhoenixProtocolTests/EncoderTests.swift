import PhoenixProtocol
import Testing

@Suite struct EncoderTests {
    @Test func everyBinaryLayoutRoundTrips() throws {
        let cases: [(PhoenixMessage, Direction, [UInt8])] = [
            (PhoenixMessage(joinRef: .string("4"), ref: .string("5"), topic: "t", event: "e", payload: .binary([9][...])), .client,
             [0, 1, 1, 1, 1, 0x34, 0x35, 0x74, 0x65, 9]),
            (PhoenixMessage(joinRef: .string("4"), ref: nil, topic: "t", event: "e", payload: .binary([9][...]), layout: .v2Binary(.push)), .server,
             [0, 1, 1, 1, 0x34, 0x74, 0x65, 9]),
            (PhoenixMessage(joinRef: .string("4"), ref: .string("5"), topic: "t", event: "phx_reply", payload: .binary([9][...]),
                            reply: Reply(status: "ok", response: .binary([9][...]))), .server,
             [1, 1, 1, 1, 2, 0x34, 0x35, 0x74, 0x6F, 0x6B, 9]),
            (PhoenixMessage(joinRef: nil, ref: nil, topic: "t", event: "e", payload: .binary([9][...])), .server,
             [2, 1, 1, 0x74, 0x65, 9]),
        ]
        for (message, direction, expected) in cases {
            let encoded = try PhoenixEncoder.encode(message, serializer: .v2, from: direction)
            #expect(encoded.opcode == .binary)
            #expect(encoded.bytes == expected)
            let decoded = try PhoenixDecoder.decode(encoded.bytes[...], opcode: .binary, from: direction, serializer: .v2)
            #expect(decoded.topic == message.topic && decoded.event == message.event && decoded.joinRef == message.joinRef)
            #expect(decoded.payload.bytes.elementsEqual(message.payload.bytes))
        }
    }

    @Test func fieldsOver255BytesAreRefused() {
        let m = PhoenixMessage(joinRef: nil, ref: nil, topic: String(repeating: "x", count: 256), event: "e", payload: .binary([][...]))
        #expect(throws: EncodeError.fieldTooLong(field: "topic", size: 256)) {
            try PhoenixEncoder.encode(m, serializer: .v2, from: .client)
        }
    }

    @Test func v1HasNoBinaryForm() {
        let m = PhoenixMessage(joinRef: nil, ref: nil, topic: "t", event: "e", payload: .binary([1][...]))
        #expect(throws: EncodeError.self) { try PhoenixEncoder.encode(m, serializer: .v1, from: .client) }
    }

    @Test func textEscapesRoundTrip() throws {
        let m = PhoenixMessage(joinRef: .string("1"), ref: .number("2"), topic: "a\"b\\c\n", event: "é", payload: .json(Array("{}".utf8)[...]))
        let encoded = try PhoenixEncoder.encode(m, serializer: .v2, from: .client)
        let back = try PhoenixDecoder.decode(encoded.bytes[...], opcode: .text, from: .client, serializer: .v2)
        #expect(back.topic == m.topic && back.event == m.event && back.ref == .number("2"))
    }
}
