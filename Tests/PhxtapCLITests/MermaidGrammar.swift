import Foundation

/// A checker for the Mermaid `sequenceDiagram` subset phxtap emits, following Mermaid's own
/// lexer (`packages/mermaid/src/diagrams/sequence/parser/sequenceDiagram.jison`: `;` is a
/// NEWLINE token, `#` starts a comment, message text is `":"[^#\n;]+`, `%%` starts a comment)
/// and its `encodeEntities`, which turns `#\w+;` into an entity before parsing. No Mermaid
/// command-line tool installs here (it needs npm):
///
///     sequenceDiagram                       first statement
///     participant ID as ALIAS               before any message; IDs unique
///     autonumber                            at most once, before any message
///     ID ARROW ID: TEXT                     ARROW one of ->> -->> -x --x -> -->; both IDs declared
///     Note over ID[,ID]: TEXT               also "left of" / "right of"
///     %% comment
///
/// TEXT (and ALIAS) is one line, not empty, and holds nothing Mermaid would read as syntax: no
/// `;` (a statement separator), `#` only in an entity code (`#59;`, `#quot;`), no `"`, `<`, `>`,
/// and no `%%`.
enum MermaidGrammar {
    /// Problems found, one sentence each with the line number; empty when the diagram is valid.
    static func problems(in source: String) -> [String] {
        var problems: [String] = []
        var participants: Set<String> = []
        var sawHeader = false
        var sawMessage = false
        var sawAutonumber = false
        for (index, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("%%") { continue }
            if !sawHeader {
                if line != "sequenceDiagram" { problems.append("line \(n): expected sequenceDiagram first") }
                sawHeader = true
                continue
            }
            if line.hasPrefix("participant ") {
                let rest = line.dropFirst("participant ".count)
                let parts = rest.components(separatedBy: " as ")
                guard parts.count >= 2, isIdentifier(parts[0]) else {
                    problems.append("line \(n): participant needs ID as ALIAS")
                    continue
                }
                if sawMessage { problems.append("line \(n): participant after a message") }
                if !participants.insert(parts[0]).inserted { problems.append("line \(n): participant \(parts[0]) declared twice") }
                problems += textProblems(parts.dropFirst().joined(separator: " as "), line: n)
            } else if line == "autonumber" {
                if sawAutonumber || sawMessage { problems.append("line \(n): autonumber must come once, before messages") }
                sawAutonumber = true
            } else if line.hasPrefix("Note ") {
                guard let colon = line.firstIndex(of: ":") else {
                    problems.append("line \(n): note without text")
                    continue
                }
                let head = line[line.index(line.startIndex, offsetBy: 5)..<colon].trimmingCharacters(in: .whitespaces)
                let ids: String
                if head.hasPrefix("over ") { ids = String(head.dropFirst(5)) }
                else if head.hasPrefix("left of ") { ids = String(head.dropFirst(8)) }
                else if head.hasPrefix("right of ") { ids = String(head.dropFirst(9)) }
                else {
                    problems.append("line \(n): note position must be over, left of or right of")
                    continue
                }
                for id in ids.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !participants.contains(id) {
                    problems.append("line \(n): note names undeclared participant \(id)")
                }
                problems += textProblems(String(line[line.index(after: colon)...]), line: n)
            } else {
                guard let colon = line.firstIndex(of: ":") else {
                    problems.append("line \(n): not a statement of the subset: \(line)")
                    continue
                }
                let head = String(line[..<colon])
                let arrows = ["-->>", "->>", "--x", "-x", "-->", "->"]
                guard let arrow = arrows.first(where: { head.contains($0) }),
                    let range = head.range(of: arrow)
                else {
                    problems.append("line \(n): message without an arrow")
                    continue
                }
                let from = String(head[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
                let to = String(head[range.upperBound...]).trimmingCharacters(in: .whitespaces)
                for id in [from, to] where !participants.contains(id) {
                    problems.append("line \(n): message names undeclared participant \(id)")
                }
                sawMessage = true
                problems += textProblems(String(line[line.index(after: colon)...]), line: n)
            }
        }
        if !sawHeader { problems.append("empty diagram") }
        return problems
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, CharacterSet.letters.contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" }
    }

    private static func textProblems(_ text: String, line: Int) -> [String] {
        var problems: [String] = []
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { problems.append("line \(line): empty text") }
        if t.contains("%%") { problems.append("line \(line): %% in text starts a comment") }
        for bad in ["\"", "<", ">"] where t.contains(bad) { problems.append("line \(line): raw \(bad) in text") }
        // Every # starts an entity code and every ; ends one.
        var chars = Array(t)[...]
        while let c = chars.popFirst() {
            if c == ";" {
                problems.append("line \(line): raw ; in text ends the statement")
            } else if c == "#" {
                let body = chars.prefix(while: { $0 != ";" })
                // encodeEntities: /#\w+;/
                let isEntity = body.count < chars.count && !body.isEmpty
                    && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                if !isEntity {
                    problems.append("line \(line): # not part of an entity code")
                } else {
                    chars = chars.dropFirst(body.count + 1)
                }
            }
        }
        return problems
    }

    /// Text as Mermaid shows it: entity codes decoded.
    static func decode(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        let named = ["quot": "\"", "lt": "<", "gt": ">", "amp": "&"]
        while let hash = rest.firstIndex(of: "#") {
            out += rest[..<hash]
            let after = rest[rest.index(after: hash)...]
            if let semi = after.firstIndex(of: ";") {
                let body = String(after[..<semi])
                if let code = Int(body), let scalar = Unicode.Scalar(code) {
                    out.unicodeScalars.append(scalar)
                } else if let value = named[body] {
                    out += value
                } else {
                    out += "#" + body + ";"
                }
                rest = after[after.index(after: semi)...]
            } else {
                out += "#"
                rest = after
            }
        }
        return out + rest
    }
}
