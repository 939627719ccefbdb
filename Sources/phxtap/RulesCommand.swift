import ArgumentParser
import PhoenixChecker

/// `phxtap rules`: prints the rule catalog, the reference for every rule id a transcript can carry.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the protocol rules PhoenixTap checks.",
        discussion: """
            Every annotation in a transcript names one of these rules by id. Each rule has a severity \
            (error, warning, info), a summary, an explanation for client authors, its basis in the Phoenix \
            sources or the RFCs, and the Phoenix versions it applies to. The Markdown form is a protocol \
            reference grouped by topic; the JSON form is an array of rule objects for tools.
            """)

    /// The output formats, as the option spells them.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case markdown
        case json
    }

    @Option(help: "Output format: text (terminal), markdown (a reference to read) or json (for tools).")
    var format: Format = .text

    func run() throws {
        let rendered: RuleCatalogRenderer.Format
        switch format {
        case .text: rendered = .text
        case .markdown: rendered = .markdown
        case .json: rendered = .json
        }
        print(RuleCatalogRenderer.render(format: rendered), terminator: "")
    }
}
