#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PcapSource

/// A progress bar on standard error for long reads (captures, transcripts), shown only when
/// standard error is a terminal and the input is large enough to wait for.
final class Progress {
    private let paths: [String]
    private let enabled: Bool
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    init(paths: [String], minimumBytes: Int64 = 20_000_000) {
        self.paths = paths
        // No bar off a terminal, so no sizes to look up either.
        guard Terminal.stderrIsTerminal else {
            enabled = false
            return
        }
        let total = paths.reduce(Int64(0)) { sum, path in
            var info = stat()
            return sum + (stat(path, &info) == 0 ? Int64(info.st_size) : 0)
        }
        enabled = total >= minimumBytes
    }

    func update(_ progress: CaptureProgress) {
        update(file: progress.fileIndex, bytesRead: progress.bytesRead, fileSize: progress.fileSize)
    }

    /// `bytesRead` of `fileSize` read from the file at index `file` of `paths`.
    func update(file: Int, bytesRead: Int64, fileSize: Int64?) {
        guard enabled, let fileSize, fileSize > 0 else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(200) { return }
        lastDraw = now
        let fraction = min(1, Double(bytesRead) / Double(fileSize))
        let width = 30
        let filled = Int(fraction * Double(width))
        let name = fileName(paths[file])
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = "\r\(bar) \(Int(fraction * 100))% \(name) (\(bytesRead / 1_000_000)/\(fileSize / 1_000_000) MB)"
        Terminal.writeError(text)
        drawn = true
    }

    func done() {
        guard drawn else { return }
        Terminal.writeError("\r\u{1B}[K")
    }
}
