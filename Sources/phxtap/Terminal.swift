#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ends the process with `code` (the global `exit`, which command types shadow).
func terminate(_ code: Int32) -> Never {
    exit(code)
}

/// What the process knows about where its output goes.
enum Terminal {
    /// Colour only on a terminal, and never when NO_COLOR is set or TERM is dumb.
    static func wantsColor(fd: Int32) -> Bool {
        guard isatty(fd) == 1 else { return false }
        if let noColor = getenv("NO_COLOR"), noColor.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func printError(_ line: String) {
        writeError(line + "\n")
    }

    /// Writes `text` to standard error as it is (a progress bar redraws its line).
    static func writeError(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// The last component of a path, as a user names a file: `a/b/c.pcap` gives `c.pcap`.
func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// Buffered output to stdout or a file. JSON Lines arrive in 1 MiB pieces (`RecordWriter`
/// builds them) and pass straight through; text lines collect in stdio's buffer, fully
/// buffered even on a terminal, since one write(2) per line would cost more than formatting it.
/// The proxy's live transcript is flushed after each batch its observer drains
/// (`LiveTranscript.flush`).
final class LineOutput {
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool

    /// Standard output.
    init() {
        file = fdopen(STDOUT_FILENO, "w")
        ownsFile = false
        Self.bufferFully(file)
    }

    /// A file, created or truncated.
    init(path: String) throws(CLIError) {
        guard let f = fopen(path, "w") else {
            throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        file = f
        ownsFile = true
        Self.bufferFully(file)
    }

    /// Full buffering with stdio's own buffer (a terminal is otherwise line-buffered). glibc
    /// ignores a size given without a buffer of the caller's, so none is given.
    private static func bufferFully(_ file: UnsafeMutablePointer<FILE>) {
        setvbuf(file, nil, _IOFBF, 0)
    }

    /// `-o FILE` or stdout.
    static func open(_ path: String?) throws(CLIError) -> LineOutput {
        guard let path, path != "-" else { return LineOutput() }
        return try LineOutput(path: path)
    }

    var isTerminal: Bool { isatty(fileno(file)) == 1 }

    /// A character device other than a terminal, such as /dev/null: a write returns at once,
    /// where a file's is the kernel copying it into the page cache and a pipe's waits for room.
    var takesWritesAtOnce: Bool {
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else { return false }
        return (status.st_mode & S_IFMT) == S_IFCHR && !isTerminal
    }

    var wantsColor: Bool { Terminal.wantsColor(fd: fileno(file)) }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        _ = fwrite(bytes.baseAddress, 1, bytes.count, file)
    }

    func writeLine(_ text: String) {
        write(Array((text + "\n").utf8))
    }

    func flush() { fflush(file) }

    deinit {
        fflush(file)
        if ownsFile { fclose(file) }
    }
}
