import Testing

/// Every command explains itself to a first-time user: what it does, an example, and how it exits.
@Suite struct HelpTests {
    static let commands = ["read", "proxy", "check", "export", "spec", "rules", "decode"]

    @Test func rootHelpListsEveryCommand() throws {
        let run = try PhxtapProcess.run(["--help"])
        #expect(run.status == 0)
        for command in Self.commands {
            #expect(run.stdout.contains("\n  \(command) "), "phxtap --help does not list \(command)")
        }
    }

    @Test(arguments: commands)
    func subcommandHelpHasAnExample(command: String) throws {
        let run = try PhxtapProcess.run([command, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("OVERVIEW: "))
        #expect(run.stdout.contains("phxtap \(command)"), "no example or usage naming the command")
        #expect(run.stdout.contains("USAGE: phxtap \(command)"))
        #expect(!run.stdout.contains("\u{1B}["), "no colour when not on a terminal")
    }

    @Test func unknownCommandIsAUsageError() throws {
        let run = try PhxtapProcess.run(["frobnicate"])
        #expect(run.status == 2)
        #expect(!run.stderr.isEmpty)
    }
}
