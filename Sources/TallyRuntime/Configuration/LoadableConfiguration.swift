import Configuration

/// A process's configuration, read the one way every tally process reads
/// it (see ``ConfigurationSource``): command-line flags, then `TALLY_*`
/// variables, then a JSON file, then the documented defaults of `init()`.
///
/// A conforming type says where its file is and how to read its keys;
/// loading, provenance and the list of keys (hence of flags) come from here.
public protocol LoadableConfiguration: Sendable {
    /// The built-in defaults.
    init()
    /// The environment variable that may name the file (`TALLY_CONFIG_FILE`).
    static var fileVariable: String { get }
    /// The file read when neither `--config` nor ``fileVariable`` names one;
    /// it may be missing.
    static var defaultPath: String { get }
    /// Every key, as this configuration holds it (`tally config print`).
    var effective: EffectiveConfiguration { get }
    /// Reads every key; throws a ``ConfigurationFailure`` naming a bad one.
    static func read(from config: ConfigReader, _ provenance: ConfigurationProvenance) throws -> Self
}

extension LoadableConfiguration {
    public static func load(
        file: String? = nil, environment: [String: String], arguments: [String] = []
    ) async throws -> Self {
        try await loadWithOrigins(file: file, environment: environment, arguments: arguments).settings
    }

    /// The configuration and where each value came from (`tally config print`).
    public static func loadWithOrigins(
        file: String? = nil, environment: [String: String], arguments: [String] = []
    ) async throws -> (settings: Self, origins: ConfigurationProvenance) {
        let (reader, provenance) = try await ConfigurationSource.reader(
            file: file, fileVariable: fileVariable, defaultPath: defaultPath, environment: environment,
            arguments: arguments)
        return (try ConfigurationSource.load(reader, provenance, read(from:_:)), provenance)
    }

    /// Every key of the file, hence every `--flag` of the process.
    public static var keys: [String] { Self().effective.entries.map(\.key) }
}
