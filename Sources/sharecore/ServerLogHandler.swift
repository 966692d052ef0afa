import Logging

/// The server's log handler: the lines of swift-log's `StreamLogHandler` on standard error, but
/// metadata is kept as set and formatted only when a line is written.
///
/// Every request sets its `request-id` on its logger; `StreamLogHandler` formats all of its
/// metadata again on each such change, which every request paid although the server logs only
/// errors by default (3% of an S3 4 KiB GET's samples in the profile of issue #14).
struct ServerLogHandler: LogHandler {
    private let output: StreamLogHandler
    /// The metadata of this logger, formatted when a line is written.
    var metadata: Logger.Metadata = [:]
    /// The metadata provider (the logging system's).
    var metadataProvider: Logger.MetadataProvider?
    /// The lowest level written.
    var logLevel: Logger.Level

    /// A handler for `label` writing lines of `level` and above.
    init(label: String, level: Logger.Level) {
        output = StreamLogHandler.standardError(label: label)
        metadataProvider = output.metadataProvider
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = output
        line.logLevel = logLevel
        line.metadataProvider = metadataProvider
        line.metadata = metadata
        line.log(event: event)
    }
}
