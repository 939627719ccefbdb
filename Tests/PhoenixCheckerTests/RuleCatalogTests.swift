import Foundation
import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct RuleCatalogTests {
    @Test func idsAreUniqueKebabCaseAndComplete() {
        let ids = RuleCatalog.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }, "\(id)")
            #expect(!id.hasPrefix("-") && !id.hasSuffix("-") && !id.contains("--"), "\(id)")
            #expect(RuleCatalog.rule(id: id)?.id == id)
        }
        #expect(RuleCatalog.rule(id: "no-such-rule") == nil)
    }

    @Test func everySection9RuleIsImplemented() {
        let covered = Set(RuleCatalog.all.flatMap(\.section9))
        #expect(covered.isSuperset(of: Set(1...28)), "missing: \(Set(1...28).subtracting(covered).sorted())")
    }

    static let wireIds = [
        "ws-unmasked-client-frame", "ws-masked-server-frame", "ws-reserved-bits", "ws-fragmented-control",
        "ws-control-too-long", "ws-unexpected-continuation", "ws-interleaved-data", "ws-unknown-opcode",
        "ws-invalid-close-payload", "ws-invalid-close-code", "ws-close-reason-utf8", "ws-data-after-close",
        "ws-oversized", "ws-gap", "ws-deflate-error", "ws-inflate-limit", "ws-truncated", "ws-invalid-utf8",
        "tcp-gap", "ip-fragment", "tcp-retransmission-mismatch", "proxy-observer-skipped", "proxy-upstream-failed",
        // Emitted by the wire layer and the pipeline as they were built.
        "ws-compressed-continuation", "ws-compressed-control", "ws-non-minimal-length", "ws-extension-negotiation",
        "http-malformed", "http-truncated", "ws-upgrade-unanswered", "ws-held-before-upgrade", "capture-mid-connection",
    ]

    @Test func wireAndSourceIdsAreCatalogued() {
        for id in Self.wireIds {
            let rule = RuleCatalog.rule(id: id)
            #expect(rule != nil, "\(id)")
            #expect(rule?.basis.isEmpty == false)
        }
    }

    @Test func everyRuleIsDocumented() {
        for rule in RuleCatalog.all {
            #expect(!rule.summary.isEmpty && !rule.explanation.isEmpty && !rule.basis.isEmpty, "\(rule.id)")
            #expect(rule.explanation.count > 60, "\(rule.id)")
        }
    }

    @Test func wireViolationTakesCatalogSeverity() {
        let checker = ConnectionChecker()
        let finding = checker.wireViolation(id: "ws-unmasked-client-frame", text: "client frame 3 is not masked", time: 5, seq: 3)
        #expect(finding.annotation.severity == .error)
        #expect(finding.refersTo == [3])
        #expect(checker.wireViolation(id: "ws-oversized", text: "x", time: 5, seq: nil).annotation.severity == .warning)
    }

    @Test func severityPerVersion() {
        let stale = RuleCatalog.rule(id: "stale-join-ref")!
        #expect(stale.severity(for: PhoenixVersion("1.7.24")!) == .warning)
        #expect(stale.severity(for: PhoenixVersion("1.8.3")!) == .error)
        let null = RuleCatalog.rule(id: "null-join-ref")!
        #expect(null.severity(for: PhoenixVersion("1.8.2")!) == .warning)
        #expect(null.severity(for: PhoenixVersion("1.8.11")!) == .error)
        #expect(null.severity(for: .newest) == .warning)
        #expect(RuleCatalog.rule(id: "too-many-channels")!.severity(for: PhoenixVersion("1.8.8")!) == nil)
    }

    @Test func phoenixVersionParsing() {
        #expect(PhoenixVersion("1.8.3") == PhoenixVersion(1, 8, 3))
        #expect(PhoenixVersion("v1.7.24") == PhoenixVersion(1, 7, 24))
        #expect(PhoenixVersion("1.8") == PhoenixVersion(1, 8, 0))
        #expect(PhoenixVersion("1.9.0-rc.1") == PhoenixVersion(1, 9, 0))
        for bad in ["", "1", "1.x.3", "1..3", "1.2.3.4", "abc", "1.8.-1"] {
            #expect(PhoenixVersion(bad) == nil, "\(bad)")
        }
        #expect(PhoenixVersion(1, 8, 2) < PhoenixVersion(1, 8, 10))
    }
}

@Suite struct RuleCatalogRendererTests {
    @Test func markdownIsGroupedByTopicInReadingOrder() {
        let md = RuleCatalogRenderer.render(format: .markdown)
        let headings = md.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) }
        #expect(headings == RuleTopic.allCases.map(\.title))
        for rule in RuleCatalog.all {
            #expect(md.contains("### `\(rule.id)`"), "\(rule.id)")
        }
        #expect(md.contains("- Severity: error; warning on <= 1.8.2"))
        #expect(md.contains("- Versions: >= 1.8.9"))
    }

    @Test func textListsEveryRuleWithinWidth() {
        let text = RuleCatalogRenderer.render(format: .text)
        for rule in RuleCatalog.all {
            #expect(text.contains(" \(rule.id)\n"), "\(rule.id)")
        }
        let wide = text.split(separator: "\n").filter { $0.count > 100 && $0.contains(" ") }
        #expect(wide.isEmpty, "\(wide.prefix(2))")
    }

    @Test func jsonIsAnArrayOfRuleObjects() throws {
        let json = RuleCatalogRenderer.render(format: .json)
        let value = try JSONValue.parse(json)
        let rules = try #require(value.arrayValue)
        #expect(rules.count == RuleCatalog.all.count)
        let stale = try #require(rules.first { $0["id"]?.stringValue == "stale-join-ref" })
        #expect(stale["severity"] == .string("error"))
        #expect(stale["section9"] == .array([.number("11")]))
        #expect(stale["severity_changes"]?.arrayValue?.first?["through"] == .string("1.8.2"))
        #expect(rules.first { $0["id"]?.stringValue == "ws-reserved-bits" }?["topic"] == .string("websocket"))
    }
}

@Suite struct RuleReferenceGoldenTests {
    /// docs/rules.md is the rendered Markdown reference; it must match the catalog. To refresh it,
    /// run this test with PHXTAP_WRITE_GOLDEN=1.
    @Test func docsRulesMarkdownIsCurrent() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/rules.md").standardized
        let rendered = RuleCatalogRenderer.render(format: .markdown)
        if ProcessInfo.processInfo.environment["PHXTAP_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try rendered.write(to: path, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: path, encoding: .utf8)
        #expect(stored == rendered, "docs/rules.md is out of date: run the tests with PHXTAP_WRITE_GOLDEN=1")
    }
}
