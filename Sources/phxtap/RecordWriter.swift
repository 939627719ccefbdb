import Transcript

/// Writes transcript records in the chosen format, one line each, as soon as they are known.
final class RecordWriter {
    private let output: LineOutput
    private let format: OutputFormat
    private let renderer: TextRenderer

    init(output: LineOutput, format: OutputFormat?) {
        self.output = output
        self.format = format ?? (output.isTerminal ? .text : .jsonl)
        self.renderer = TextRenderer(color: output.wantsColor)
    }

    func write(_ record: TranscriptRecord) {
        switch format {
        case .jsonl:
            output.write(JSONLinesEncoder.line(record))
        case .text:
            output.writeLine(renderer.render(record))
        }
    }

    func write(_ records: [TranscriptRecord]) {
        for record in records { write(record) }
    }

    func flush() { output.flush() }
}
