import Configuration

/// Decides, part by part, between a URL and the part's own key.
public struct ConnectionURLParts {
    let url: ConnectionURL?
    let urlKey: String
    let provenance: ConfigurationProvenance

    public init(url: ConnectionURL?, urlKey: String, provenance: ConfigurationProvenance) {
        self.url = url
        self.urlKey = urlKey
        self.provenance = provenance
    }

    /// `fromURL` when there is a URL that says something about this part
    /// and the part key came from a lower-precedence source; `fromKey`
    /// otherwise. Records where the chosen value came from.
    /// `fromURL` is nil when the URL says nothing about the part (for an
    /// optional part, `.some(nil)` says "none").
    public func pick<Value>(_ key: String, _ fromKey: Value, _ fromURL: Value?) -> Value {
        guard url != nil, let fromURL else { return fromKey }
        guard provenance.origin(of: key).level > provenance.origin(of: urlKey).level else { return fromKey }
        provenance.derive(key, from: urlKey)
        return fromURL
    }
}
