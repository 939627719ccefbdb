import ArgumentParser
import PhoenixProtocol
import Transcript

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `phxtap decode`: one frame in, its decoded fields out.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode one Phoenix frame and print its fields as JSON.",
        discussion: """
            FRAME is the text of a text frame, or with --hex the bytes of a binary frame (spaces allowed). \
            Use - to read the frame from standard input.

            The serializer comes from --vsn the way a Phoenix server picks it (no vsn means V1); \
            without --vsn, a frame that starts with '{' is read as V1 and anything else as V2.
            Binary pushes have a different layout in each direction, so say who sent the frame with --from.

            Examples:
              phxtap decode '["4","5","room:lobby","ping",{"n":1}]'
              phxtap decode --from server --hex '01 01 01 0a 02 34 35 72 6f 6f 6d 3a 6c 6f 62 62 79 6f 6b 01 02'
              phxtap decode --vsn 1.0.0 '{"topic":"room:v1","event":"ping","payload":{},"ref":"5"}'

            Exits 2 with one sentence on standard error when the frame is not a Phoenix message.
            """
    )

    @Option(name: .long, help: "Who sent the frame: client or server.")
    var from: Sender = .client

    @Flag(name: .long, help: "FRAME is hexadecimal bytes of a binary frame.")
    var hex = false

    @Option(name: .long, help: "The connection's vsn query parameter (e.g. 2.0.0); picks the serializer like Phoenix.")
    var vsn: String?

    @Argument(help: "The frame: JSON text, or hex bytes with --hex, or - for standard input.")
    var frame: String

    func run() throws {
        let input = frame == "-" ? Self.readStandardInput() : Array(frame.utf8)
        let opcode: DataOpcode = hex ? .binary : .text
        let bytes: [UInt8]
        if hex {
            guard let decoded = Self.parseHex(input) else {
                throw CLIError("--hex expects pairs of hexadecimal digits, optionally separated by spaces")
            }
            bytes = decoded
        } else {
            bytes = input
        }
        let serializer: Serializer
        if let vsn {
            switch VsnNegotiation.negotiate(vsn: vsn) {
            case .accepted(let s): serializer = s
            case .unparseable(let v): throw CLIError("vsn \"\(v)\" is not a version; a Phoenix server answers such a connection with HTTP 403")
            case .unsupported(let v): throw CLIError("vsn \"\(v)\" matches neither ~> 1.0.0 nor ~> 2.0.0; a Phoenix server answers such a connection with HTTP 403")
            }
        } else {
            serializer = Serializer.guessed(fromFrame: bytes)
        }
        do {
            let message = try PhoenixDecoder.decode(bytes[...], opcode: opcode, from: from.direction, serializer: serializer)
            let record = MessageRecord(conn: 0, seq: 0, time: 0, from: from.direction, opcode: opcode, raw: bytes[...], decoded: .success(message))
            let output = LineOutput()
            output.write(JSONLinesEncoder.messageFields(record) + [0x0A])
        } catch {
            throw CLIError("\(error)")
        }
    }

    static func readStandardInput() -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(STDIN_FILENO, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        // A trailing newline from `echo` is not part of the frame.
        while let last = data.last, last == 0x0A || last == 0x0D { data.removeLast() }
        return data
    }

    static func parseHex(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text {
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == UInt8(ascii: ":") { continue }
            guard let v = hexValue(c) else { return nil }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}

/// `--from client|server`.
enum Sender: String, CaseIterable, ExpressibleByArgument {
    case client
    case server

    var direction: Direction { self == .client ? .client : .server }
}
