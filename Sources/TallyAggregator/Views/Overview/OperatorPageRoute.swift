import Hummingbird

/// `GET /` on the admin listener: the operator page, read fresh from the
/// index and the ingest status at each request.
struct OperatorPageRoute: Sendable {
    let index: RecordIndex
    let status: IngestStatus

    func register<Context: RequestContext>(on router: Router<Context>) {
        let (index, status) = (index, status)
        router.get("/") { _, _ in
            let overview = try await IndexOverview.read(from: index)
            let ingest = OperatorPage.Ingest(
                perMinute: status.ingestedPerMinute(), lagEntries: status.lagEntries, consuming: status.isConsuming)
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: OperatorPage.render(overview, ingest: ingest))))
        }
    }
}
