/// The namespaces of the adapters for the seed documents' neighbouring
/// systems. Views in the aggregator select their records with these, so
/// they are the contract between an adapter and its views.
extension AdapterNamespace {
    /// Electricity interval readings (seed 001), one destination per ICP.
    public static let readings = AdapterNamespace(sourceId: "readings", destinationPrefix: "icp:")
    /// The matching algorithm's output for the same ICPs (seed 001): its
    /// own sourceId, so raw readings and matched amounts never mix.
    public static let matches = AdapterNamespace(sourceId: "matching", destinationPrefix: "icp:")
    /// A transactions file, one destination per account (seed 002).
    public static let transactions = AdapterNamespace(sourceId: "transactions", destinationPrefix: "account:")
    /// The rate-limited vendor transaction API, one destination per user (seeds 003, 004).
    public static let vendor = AdapterNamespace(sourceId: "vendor", destinationPrefix: "user:")
}
