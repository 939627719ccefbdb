import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `phxtap`: see, decode and check Phoenix Channels traffic.
@main
struct Phxtap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phxtap",
        abstract: "See, decode and check Phoenix Channels traffic.",
        discussion: """
            PhoenixTap shows what a Phoenix client and server say to each other over a Phoenix socket \
            (WebSocket or LongPoll): every frame decoded into join_ref, ref, topic, event and payload, \
            replies linked to their pushes, and every ref or join_ref mistake explained.

            Start with a capture:   phxtap read Captures/basic.pcap
            Decode one frame:       phxtap decode '["4","4","room:lobby","phx_join",{}]'
            """,
        version: "0.1.0",
        subcommands: [ReadCommand.self, ProxyCommand.self, CheckCommand.self, ExportCommand.self, SpecCommand.self, RulesCommand.self, DecodeCommand.self]
    )

    /// Runs the command and maps failures to the exit statuses of the command-line contract:
    /// 0 fine, 1 findings at or above --fail-on, 2 usage error or unreadable input.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Terminal.printError("phxtap: \(error.message)")
            terminate(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            if let exitCode = error as? ExitCode {
                terminate(exitCode.rawValue)
            }
            Terminal.printError(fullMessage(for: error))
            // ArgumentParser's usage errors would exit 64; the contract says 2.
            terminate(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// A failure the user can act on, printed as one sentence, exit status 2.
struct CLIError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
