import Foundation
import PcapSource

/// A progress bar on standard error for long reads (captures, transcripts), shown only when
/// standard error is a terminal and the input is large enough to wait for.
final class Progress {
    private let paths: [String]
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(paths: [String], minimumBytes: Int64 = 20_000_000) {
        self.paths = paths
        // No bar off a terminal, so no sizes to look up either: Foundation's file attributes
        // took 1.5 M instructions at the start of every run.
        guard Terminal.stderrIsTerminal else {
            enabled = false
            return
        }
        let total = paths.reduce(Int64(0)) { sum, path in
            sum + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
        }
        enabled = total >= minimumBytes
    }

    func update(_ progress: CaptureProgress) {
        update(file: progress.fileIndex, bytesRead: progress.bytesRead, fileSize: progress.fileSize)
    }

    /// `bytesRead` of `fileSize` read from the file at index `file` of `paths`.
    func update(file: Int, bytesRead: Int64, fileSize: Int64?) {
        guard enabled, let fileSize, fileSize > 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let fraction = min(1, Double(bytesRead) / Double(fileSize))
        let width = 30
        let filled = Int(fraction * Double(width))
        let name = (paths[file] as NSString).lastPathComponent
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = "\r\(bar) \(Int(fraction * 100))% \(name) (\(bytesRead / 1_000_000)/\(fileSize / 1_000_000) MB)"
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    func done() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
