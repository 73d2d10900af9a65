import ArgumentParser
import Console
import SMTPCore

extension TranscriptFormatter.Format: ExpressibleByArgument {}
extension TranscriptFormatter.Timestamps: ExpressibleByArgument {}

/// `--transcript FILE` and the options that shape the file.
struct TranscriptOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Record the session to FILE as it happens (never overwrites; see --append).", valueName: "file"))
    var transcript: String?

    @Option(
        help: ArgumentHelp(
            "text (the screen's plain form) or jsonl (one JSON object per event); default: jsonl for a .jsonl file, else text."
        ))
    var transcriptFormat: TranscriptFormatter.Format?

    @Option(
        help: ArgumentHelp(
            "Prefix each transcript line with a time: none, absolute (RFC 3339), or relative (seconds since the start, with each reply's latency)."
        ))
    var timestamps: TranscriptFormatter.Timestamps = .none

    @Flag(help: "Record only the header and the C:/S: lines.")
    var noAnnotations = false

    @Flag(help: "Add to an existing transcript instead of refusing to touch it.")
    var append = false

    @Flag(help: "Record AUTH exchanges and passwords in clear (for your own test credentials; the header says so).")
    var noRedact = false

    func apply(to options: inout ConsoleOptions) {
        options.transcriptFile = transcript
        options.transcriptFormat = transcriptFormat
        options.transcriptTimestamps = timestamps
        options.transcriptIncludesAnnotations = !noAnnotations
        options.appendsToTranscript = append
        options.redactsSecrets = !noRedact
    }
}
