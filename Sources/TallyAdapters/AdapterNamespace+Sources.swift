/// The namespaces of the adapters for tally's neighbouring
/// systems. Views in the aggregator select their records with these, so
/// they are the contract between an adapter and its views.
extension AdapterNamespace {
    /// Electricity interval readings (meter readings), one destination per ICP.
    public static let readings = AdapterNamespace(sourceId: "readings", destinationPrefix: "icp:")
    /// The matching algorithm's output for the same ICPs (algorithm runs): its
    /// own sourceId, so raw readings and matched amounts never mix.
    public static let matches = AdapterNamespace(sourceId: "matching", destinationPrefix: "icp:")
    /// A transactions file, one destination per account.
    public static let transactions = AdapterNamespace(sourceId: "transactions", destinationPrefix: "account:")
    /// The rate-limited vendor transaction API, one destination per user.
    public static let vendor = AdapterNamespace(sourceId: "vendor", destinationPrefix: "user:")
}
