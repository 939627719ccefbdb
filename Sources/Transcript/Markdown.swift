/// Markdown quoting that holds for any text: code spans and fences long enough for the
/// backticks inside them (CommonMark 6.1 and 4.5), and table cells that keep their pipes.
enum Markdown {
    /// Inline code: `` `x` ``, with more backticks (and padding spaces) when `s` has some.
    static func code(_ s: String) -> String {
        let text = s.replacingNewlines()
        let ticks = String(repeating: "`", count: longestRun(of: "`", in: text) + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || text.isEmpty ? " " : ""
        return ticks + pad + text + pad + ticks
    }

    /// A fenced block whose fence is longer than any backtick run inside.
    static func fence(_ content: String, info: String) -> String {
        let ticks = String(repeating: "`", count: max(3, longestRun(of: "`", in: content) + 1))
        return ticks + info + "\n" + content + (content.hasSuffix("\n") ? "" : "\n") + ticks + "\n"
    }

    /// Text for a table cell: pipes escaped, one line.
    static func cell(_ s: String) -> String {
        s.replacingNewlines().replacingOccurrences("|", with: "\\|")
    }

    private static func longestRun(of c: Character, in s: String) -> Int {
        var best = 0
        var run = 0
        for ch in s {
            run = ch == c ? run + 1 : 0
            best = max(best, run)
        }
        return best
    }
}

extension String {
    /// Newlines and carriage returns as spaces: for text that must stay on one line.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }

    /// Plain substring replacement without Foundation.
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
