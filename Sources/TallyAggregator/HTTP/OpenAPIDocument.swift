import Foundation

/// The OpenAPI document served at `/openapi.yaml`: the file
/// `openapi/aggregator.yaml`, bundled as this module's resource so the
/// binary serves exactly what the repository holds.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "aggregator", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "# openapi/aggregator.yaml was not bundled with this build\n" }
        return text
    }()
}
