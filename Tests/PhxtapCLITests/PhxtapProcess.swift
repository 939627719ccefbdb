import Foundation

/// Runs the real `phxtap` binary the way a user does, and collects what it printed.
struct PhxtapRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum PhxtapProcess {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary built next to the test bundle (`swift build` puts every product in one folder);
    /// `PHXTAP_BIN` overrides it.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["PHXTAP_BIN"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        let candidate = dir.appendingPathComponent("phxtap")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("phxtap")
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> PhxtapRun {
        try run(arguments, stdinBytes: stdin.map { Data($0.utf8) }, environment: environment)
    }

    /// Runs phxtap with `stdinBytes` on its standard input, through a pipe as a shell gives it.
    static func run(_ arguments: [String], stdinBytes: Data?, environment: [String: String] = [:]) throws -> PhxtapRun {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        // Files rather than pipes: a large output can never block the child.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdinBytes { input.fileHandleForWriting.write(stdinBytes) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return PhxtapRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The real binary fed through a pipe that stays open, as `tcpdump -U -w - | phxtap read -`
/// feeds it, with its output collected as it comes.
final class RunningPhxtap: @unchecked Sendable {
    // @unchecked: `collected` is touched only under `lock`.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private let finishedReading = DispatchSemaphore(value: 0)

    init(_ arguments: [String]) throws {
        process.executableURL = PhxtapProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = PhxtapProcess.packageRoot
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reading = output.fileHandleForReading
        DispatchQueue.global().async {
            while case let piece = reading.availableData, !piece.isEmpty {
                self.lock.lock()
                self.collected.append(piece)
                self.lock.unlock()
            }
            self.finishedReading.signal()
        }
    }

    func write(_ bytes: Data) { input.fileHandleForWriting.write(bytes) }

    /// What phxtap has written so far.
    var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Waits until the output so far satisfies `condition`, for at most `seconds`.
    func waitForOutput(seconds: Double, until condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(stdout) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition(stdout)
    }

    /// Closes the input and waits for phxtap to end.
    func finish() throws -> PhxtapRun {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        finishedReading.wait()
        return PhxtapRun(status: process.terminationStatus, stdout: stdout, stderr: "")
    }
}
