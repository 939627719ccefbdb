import PhoenixProtocol

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

    /// A frame as a fenced block: text frames as text (cut after `maxBytes` bytes, at a
    /// character boundary), binary frames and text that is not UTF-8 as a hex dump of at most
    /// `maxHexBytes` bytes, 16 to a line with offsets. A cut says how much is shown.
    static func frame(_ raw: Bytes, opcode: DataOpcode, maxBytes: Int, maxHexBytes: Int = 256) -> String {
        if opcode == .text, let text = String(validating: raw.prefix(characterBoundary(raw, atMost: maxBytes)), as: UTF8.self) {
            let cut = text.utf8.count < raw.count
            let info = cut ? "text" : raw.first == UInt8(ascii: "[") || raw.first == UInt8(ascii: "{") ? "json" : "text"
            var out = fence(text, info: info)
            if cut { out += "(first \(text.utf8.count) of \(raw.count) bytes)\n" }
            return out + "\n"
        }
        let shown = raw.prefix(min(maxBytes, maxHexBytes))
        var lines: [String] = []
        var i = 0
        while i < shown.count {
            let offsetText = String(i, radix: 16)
            lines.append(String(repeating: "0", count: max(0, 4 - offsetText.count)) + offsetText + "  "
                + shown.dropFirst(i).prefix(16).map(TextRenderer.hexByte).joined(separator: " "))
            i += 16
        }
        var out = fence(lines.joined(separator: "\n"), info: "text")
        if shown.count < raw.count { out += "(first \(shown.count) of \(raw.count) bytes)\n" }
        return out + "\n"
    }

    /// The largest length up to `limit` that does not end inside a UTF-8 sequence: backs off
    /// over continuation bytes (at most three) from the cut.
    static func characterBoundary(_ bytes: Bytes, atMost limit: Int) -> Int {
        guard limit < bytes.count else { return bytes.count }
        var cut = max(0, limit)
        var backed = 0
        while cut > 0, backed < 3, bytes[bytes.startIndex + cut] & 0xC0 == 0x80 {
            cut -= 1
            backed += 1
        }
        return cut
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
